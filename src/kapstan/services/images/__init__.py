"""Image automation (issue 17): registries watched, a tag picked by policy, the app updated.

- ``policy``: update strategies and tag filters (pure);
- ``annotations``: argocd-image-updater's Application annotations → :class:`AppImages`;
- ``registries``: ``registries.conf`` (ConfigMap ``argocd-image-updater-config``) and
  credentials (``pullsecret:``, ``secret:``, ``env:``);
- ``writeback``: the ``argocd`` write-back (Kustomize images / Helm parameters, pure);
- ``updater``: :class:`ImageUpdater`, one check of one app with events and logs;
- ``trigger``: :func:`request_check`, how ``kapstan server`` (registry webhooks) asks the
  controller's image loop for an immediate check through an annotation.

The loop itself runs in the controller (:mod:`kapstan.controller.images`).
"""
