# Kapstan developer entry points. `make demo` and `make test` are all a newcomer needs:
# each installs what is missing (apt packages, Python venv, Go-built toolchain) first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: all deps apt venv toolchain lint test test-unit test-web demo bench clean ui argocd-ui test-argocd-ui gitea test-gitea keycloak dex bench-peers

all: test

deps: apt venv

apt:
	@bash scripts/install-apt.sh toolchain/apt-packages.txt

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

venv: $(STAMP)

toolchain: deps
	$(PY) -m kapstan.localcluster build

lint: venv
	$(VENV)/bin/ruff check src tests bench setup.py
	$(VENV)/bin/ruff format --check src tests bench setup.py
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

# The web UI (web/): npm ci when the lock file changes, the Vite build (into the package's
# kapstan/api/webui, never committed) when a source changes.
WEB_STAMP := web/node_modules/.installed
WEB_BUILD := src/kapstan/api/webui/index.html
WEB_SOURCES := $(shell find web/src -type f 2>/dev/null) web/index.html web/vite.config.ts web/tsconfig.json

$(WEB_STAMP): web/package-lock.json web/package.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	@touch $(WEB_STAMP)

$(WEB_BUILD): $(WEB_STAMP) $(WEB_SOURCES)
	cd web && npm run --silent build

ui: $(WEB_BUILD)

# The UI's component tests (vitest) and type check.
test-web: $(WEB_STAMP)
	cd web && npx tsc -b && npx vitest run

test: toolchain gitea keycloak dex lint ui test-web
	KAPSTAN_GITEA=1 $(PY) -m pytest

test-unit: venv
	$(PY) -m pytest tests/unit

# Keycloak (the SSO tests' real OIDC provider) from its Maven distribution, unpacked into
# $KAPSTAN_CACHE/keycloak (kapstan.localcluster.keycloak); does nothing when already there.
keycloak: venv
	$(PY) -m kapstan.localcluster keycloak

# Opt-in, not part of `make test`: Argo CD's own web UI (built from its Go module's ui/ with
# its lock file into $KAPSTAN_CACHE/argocd-ui, see docs/argocd-ui.md) driven in the system
# Chromium against `kapstan server --staticassets`.
argocd-ui: venv
	$(PY) -m kapstan.localcluster argocd-ui

test-argocd-ui: toolchain argocd-ui
	KAPSTAN_ARGOCD_UI=1 $(PY) -m pytest tests/integration/api/test_argocd_ui.py tests/integration/api/test_ui_browser_live.py

# Gitea v1.26.0 (toolchain/gitea.toml) into $KAPSTAN_CACHE/gitea: the real Git host of the
# webhook end-to-end test (built by `make test`, which then fails without it; a bare pytest
# run skips it).
gitea: venv
	$(PY) -m kapstan.localcluster.gitea

# Dex v2.45.1 (toolchain/dex.toml) into $KAPSTAN_CACHE/dex: what `kapstan dex` runs, and the
# Dex of the SSO end-to-end tests (built by `make test`; those tests fail without it).
dex: venv
	$(PY) -m kapstan.localcluster.dex

test-gitea: toolchain gitea
	KAPSTAN_GITEA=1 $(PY) -m pytest tests/integration/api/test_webhook_gitea_live.py

demo: toolchain ui
	$(VENV)/bin/kapstan demo

bench: toolchain ui
	$(PY) bench/run.py
	$(PY) bench/controller_bench.py
	$(PY) bench/api_bench.py
	$(PY) bench/ui_list_bench.py
	$(PY) bench/ui_tree_bench.py
	$(PY) bench/webhook_bench.py
	$(PY) bench/images_bench.py
	$(PY) bench/kube_client_bench.py

# Argo CD and Flux (toolchain/peers.toml) into $KAPSTAN_CACHE/peers, for bench/peers.py only:
# not part of `make test`. Skips a peer already built; Argo CD takes 15+ min cold (nice 19, -p 1).
bench-peers: venv
	$(PY) -m kapstan.localcluster.peers_build

clean:
	rm -rf $(VENV) build dist .mypy_cache .pytest_cache .ruff_cache web/node_modules src/kapstan/api/webui
