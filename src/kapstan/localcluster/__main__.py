"""``python -m kapstan.localcluster build|status|path|argocd-ui``: manage the Go-built toolchain
and the Argo CD UI build."""

from kapstan.localcluster.toolchain import main

raise SystemExit(main())
