# The two set-up commands: `make serve` and `make test`. Both create .venv on first use.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CONFIG ?= examples/site/syndicate.toml

.PHONY: serve check build test lint system-deps clean

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
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/mypy

test: $(STAMP) lint
	$(BIN)/pytest

# Programs some tests drive for real (Debian packages): jing validates feeds against
# RFC 4287's schema; chromium runs the browser test, with the Noto fonts for CJK text and
# emoji in its screenshots; nginx is the cache in front of two replicas. Needs root.
system-deps:
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq jing chromium nginx fonts-noto-cjk fonts-noto-color-emoji

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache
