// The guestbook in Jsonnet: a Deployment and a Service built from params.libsonnet.
local params = import 'params.libsonnet';
local labels = { app: params.name };

[
  {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: params.name },
    spec: {
      replicas: params.replicas,
      revisionHistoryLimit: 3,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels: labels },
        spec: {
          containers: [
            { name: 'guestbook-ui', image: params.image, ports: [{ containerPort: params.port }] },
          ],
        },
      },
    },
  },
  {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: params.name },
    spec: {
      ports: [{ port: params.port, targetPort: params.port }],
      selector: labels,
    },
  },
]
