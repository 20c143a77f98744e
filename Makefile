# The two set-up commands: `make serve` and `make test`. Both create .venv on first use:
# `make serve` installs what serving needs, `make test` adds the test tools.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SERVE_STAMP := $(VENV)/.installed-serve
TEST_STAMP := $(VENV)/.installed-test
CONFIG ?= examples/site/syndicate.toml
PIP := $(BIN)/python -m pip install --disable-pip-version-check --progress-bar off -c constraints.txt

# The Debian packages of the programs some tests drive (see system-deps below).
SYSTEM_DEPS := jing chromium libatomic1 fonts-noto-cjk fonts-noto-color-emoji nginx podman runc debootstrap

.PHONY: serve check build test lint container-test fresh-test bench system-deps venv clean

# A usable .venv: made when missing, remade when half-made (a venv without pip, left by a
# Python without its venv module) or when its Python is gone. One line says what is missing.
venv:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
		echo "error: syndicate needs Python 3.11 or newer as '$(PYTHON)' (Debian: apt-get install python3; or set PYTHON=...)" >&2; exit 1; }
	@if ! $(BIN)/python -m pip --version >/dev/null 2>&1; then \
		rm -rf $(VENV); \
		echo "making $(VENV) with $$($(PYTHON) --version)"; \
		if ! $(PYTHON) -m venv $(VENV) >/dev/null 2>&1 || ! $(BIN)/python -m pip --version >/dev/null 2>&1; then \
			rm -rf $(VENV); \
			echo "error: '$(PYTHON) -m venv' cannot make a virtual environment with pip (Debian: apt-get install python3-venv)" >&2; exit 1; \
		fi; \
	fi

$(SERVE_STAMP): pyproject.toml constraints.txt | venv
	@echo "installing syndicate and what it needs to serve into $(VENV) (pinned in constraints.txt)"
	@$(PIP) -e .
	@touch $@

$(TEST_STAMP): $(SERVE_STAMP)
	@echo "installing the test tools into $(VENV) (pytest, ruff, mypy, playwright, pelican, hadolint)"
	@$(PIP) -e '.[test]'
	@touch $@

# `venv` runs first on every call, so a .venv broken since the last install is remade.
serve: venv $(SERVE_STAMP)
	$(BIN)/syndicate serve --config $(CONFIG)

check: venv $(SERVE_STAMP)
	$(BIN)/syndicate check --config $(CONFIG)

build: venv $(SERVE_STAMP)
	$(BIN)/syndicate build --config $(CONFIG) --out out

lint: venv $(TEST_STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

test: venv $(TEST_STAMP) lint
	$(BIN)/pytest

# Builds the image with podman (making debian:bookworm-slim with debootstrap when no
# registry has it) and runs it for real; skips with the reason where podman cannot run.
container-test:
	bash container/test.sh

# A new user's first hour, for real: a clean Debian 12 root (debootstrap) with only the
# README's prerequisites, a clone of this repository, then the README's commands in it.
fresh-test:
	bash container/fresh-test.sh

# Benchmarks (not part of `make test`): builds, rebuilds, serving against a bare Starlette
# app and nginx, and Pelican; results in bench/results/. Needs wrk and nginx (Debian).
bench: venv $(TEST_STAMP)
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# Programs some tests drive for real (Debian packages): jing validates feeds against
# RFC 4287's schema; chromium runs the browser test (driven by Playwright, whose bundled
# node needs libatomic1), with the Noto fonts for CJK text and emoji in its screenshots;
# nginx is the cache in front of two replicas; podman, runc and debootstrap build and run
# the container image and the fresh-machine test. Needs root.
system-deps:
	@[ "$$(id -u)" = 0 ] || { echo "error: make system-deps installs Debian packages: run it as root" >&2; exit 1; }
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SYSTEM_DEPS)

clean:
	rm -rf $(VENV) out out.builds .cache .pytest_cache .mypy_cache .ruff_cache
