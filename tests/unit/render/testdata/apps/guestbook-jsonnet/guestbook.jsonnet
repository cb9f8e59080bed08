local util = import 'util.libsonnet';
function(replicas=1, image='guestbook:latest') [
  {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: std.extVar('name'), labels: util.labels(std.extVar('name')) },
    spec: {
      replicas: replicas,
      template: { spec: { containers: [{ name: 'ui', image: image }] } },
    },
  },
  {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: std.extVar('name') },
    spec: { ports: [{ port: 80 }] },
  },
]
