# The two set-up commands: `make serve` and `make test`. Both create .venv on first use.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CONFIG ?= examples/site/syndicate.toml

.PHONY: serve check build test lint container-test bench system-deps clean

$(STAMP): pyproject.toml constraints.txt
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found (syndicate needs Python 3.11+; set PYTHON=...)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[test]'
	touch $(STAMP)

serve: $(STAMP)
	$(BIN)/syndicate serve --config $(CONFIG)

check: $(STAMP)
	$(BIN)/syndicate check --config $(CONFIG)

build: $(STAMP)
	$(BIN)/syndicate build --config $(CONFIG) --out out

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

test: $(STAMP) lint
	$(BIN)/pytest

# Builds the image with podman (making debian:bookworm-slim with debootstrap when no
# registry has it) and runs it for real; skips with the reason where podman cannot run.
container-test:
	bash container/test.sh

# Benchmarks (not part of `make test`): builds, rebuilds, serving against a bare Starlette
# app and nginx, and Pelican; results in bench/results/. Needs wrk and nginx (Debian).
bench: $(STAMP)
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# Programs some tests drive for real (Debian packages): jing validates feeds against
# RFC 4287's schema; chromium runs the browser test, with the Noto fonts for CJK text and
# emoji in its screenshots; nginx is the cache in front of two replicas; podman, runc and
# debootstrap build and run the container image. Needs root.
system-deps:
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq jing chromium nginx fonts-noto-cjk fonts-noto-color-emoji \
		podman runc debootstrap

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache
