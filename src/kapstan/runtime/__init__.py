"""runtime: composition roots of the processes (kapstan controller, install)."""
