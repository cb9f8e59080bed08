"""``python -m kapstan.localcluster build|status|path``: manage the Go-built toolchain."""

from kapstan.localcluster.toolchain import main

raise SystemExit(main())
