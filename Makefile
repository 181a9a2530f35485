# make run: install, then run the whole hub on embedded defaults, with the demo readers (consortium run --demo).
# make test: install, then run every test, ruff and mypy.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install run test lint typecheck bench vendor clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || { \
		echo "installing python3-venv (Debian)"; \
		apt-get update -qq && apt-get install -y -qq python3-venv python3-pip; }
	$(PYTHON) -m venv $(VENV)
	@echo "installing the hub and its dependencies into $(VENV) (a few minutes the first time)"
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# yaz-client (Debian's yaz) is the SRU client of tests/integration/test_sru_yaz.py; checked on every install.
install: $(STAMP)
	@command -v yaz-client >/dev/null 2>&1 || { \
		echo "installing yaz (Debian): yaz-client, the SRU client of the tests"; \
		apt-get update -qq && apt-get install -y -qq yaz; }

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

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
