{
  labels(name):: { app: name },
}
