# make run: install, then run the whole hub on embedded defaults, with the demo readers (consortium run --demo).
# make test: install, then run every test, ruff and mypy.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install run test lint typecheck bench vendor package synth clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || { \
		echo "installing python3-venv (Debian)"; \
		apt-get update -qq && apt-get install -y -qq python3-venv python3-pip; }
	$(PYTHON) -m venv $(VENV)
	@echo "installing the hub and its dependencies into $(VENV) (a few minutes the first time)"
	$(BIN)/python -m pip install --quiet -e '.[dev,infra]'
	touch $(STAMP)

# The portal's front-end packages and the browser tests' axe-core, exactly as package-lock.json pins them
# (node_modules is not committed): npm ci when node_modules is missing or the lock changed.
NODE_STAMP := node_modules/.installed-stamp

$(NODE_STAMP): package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || { \
		echo "installing nodejs and npm (Debian)"; \
		apt-get update -qq && apt-get install -y -qq nodejs npm; }
	npm ci --no-audit --no-fund
	touch $(NODE_STAMP)

# yaz-client (Debian's yaz) is the SRU client of tests/integration/test_sru_yaz.py; Debian's Chromium and a
# Chinese font are the browser tests' (tests/browser, driven by Playwright, which never downloads a browser of
# its own). Checked on every install.
install: $(STAMP) $(NODE_STAMP)
	@command -v yaz-client >/dev/null 2>&1 || { \
		echo "installing yaz (Debian): yaz-client, the SRU client of the tests"; \
		apt-get update -qq && apt-get install -y -qq yaz; }
	@{ test -x /usr/bin/chromium && fc-list :lang=zh family 2>/dev/null | grep -q .; } || { \
		echo "installing chromium and fonts-wqy-microhei (Debian): the browser of the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei; }

run: install
	$(BIN)/consortium run --demo

lint: install
	$(BIN)/ruff check consortium functions tests bench infra samples
	$(BIN)/ruff format --check consortium functions tests bench infra samples

# mypy strict over consortium/, functions/ (each app.py as functions.<name>.app) and bench/: see [tool.mypy].
typecheck: install
	$(BIN)/mypy

test: install lint typecheck
	$(BIN)/pytest

bench: install
	$(BIN)/python bench/harvest.py

# Put the consortium core into each Chalice app's vendor/ folder, which Chalice packages as it is.
vendor: install
	for app in functions/*/app.py; do \
		dir=$$(dirname $$app); rm -rf $$dir/vendor; \
		$(BIN)/python -m pip install --quiet --no-deps --target $$dir/vendor . ; \
	done

# The functions' code asset for the CDK app (build/lambda): the core, its manylinux wheels for CPython 3.12,
# functions/, members.toml (MEMBERS=...) with its files, policies/consent.toml. pip reaches PyPI, as install does.
MEMBERS ?= members.toml
package: install
	PYTHONPATH=infra $(BIN)/python -m hubstack.package --members $(MEMBERS) build/lambda

# Synthesize the stage's CloudFormation templates into cdk.out/ (no AWS credentials, no network, no cdk CLI):
# make synth STAGE=prod. `cdk deploy --all --context stage=dev` does the same through the CDK CLI, then deploys.
STAGE ?= dev
synth: package
	JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=1 PYTHONPATH=infra $(BIN)/python infra/app.py -c stage=$(STAGE)

clean:
	rm -rf $(VENV) var node_modules test-artifacts .pytest_cache .mypy_cache .ruff_cache build cdk.out
