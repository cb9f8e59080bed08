// Parameters of the Jsonnet guestbook (imported by guestbook.jsonnet; not rendered itself).
{
  name: 'jsonnet-guestbook-ui',
  image: 'registry.k8s.io/pause:3.10',
  replicas: 1,
  port: 80,
}
