# Set-up contract (SPEC §3): `make run` and `make test` work on a fresh clone.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check -q
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test bench install lint clean fuzz soak screenshots

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -U pip setuptools wheel

# Installs are stamped so a second `make test` does not reinstall.
# The rule language's parse tables, built once here rather than in every new process
# (dsl/parser.py write_parse_tables; a stale file is rebuilt on first use).
TABLES := $(PY) -c 'from jiceng.dsl.parser import write_parse_tables; write_parse_tables()'

$(VENV)/.installed-test: pyproject.toml | $(VENV)/bin/python
	$(PIP) install -e '.[test]'
	$(TABLES)
	touch $@

$(VENV)/.installed-bench: pyproject.toml | $(VENV)/bin/python
	$(PIP) install -e '.[test,bench]'
	$(TABLES)
	touch $@

install: $(VENV)/.installed-test

test: $(VENV)/.installed-test
	$(PY) -m pytest -q -n 2

# Initialise (idempotent), print a demo token per role, serve on $(HOST):$(PORT).
run: $(VENV)/.installed-test
	$(VENV)/bin/jiceng init --demo-tokens
	HOST=$(HOST) PORT=$(PORT) $(VENV)/bin/jiceng serve

bench: $(VENV)/.installed-bench
	$(PY) benchmarks/run.py

# Long reliability runs, outside CI (docs/reliability.md): a mutation run of the shipped packs
# through parse → check → compile and the draft endpoint (must end with 0 uncaught exceptions),
# and a soak of the real server (gunicorn, two workers) on SQLite and PostgreSQL.
FUZZ_INPUTS  ?= 50000
FUZZ_SECONDS ?= 3600
SOAK_SECONDS ?= 120

fuzz: $(VENV)/.installed-test
	$(PY) tools/fuzz_packs.py --inputs $(FUZZ_INPUTS) --seconds $(FUZZ_SECONDS)

soak: $(VENV)/.installed-test
	$(PY) benchmarks/soak.py --seconds $(SOAK_SECONDS)
# Screenshots of every console page for docs/console.md, taken by the browser journeys (needs chromium).
screenshots: $(VENV)/.installed-test
	JICENG_SCREENSHOTS=docs/console $(PY) -m pytest -q -p no:cacheprovider tests/browser

lint: $(VENV)/.installed-test
	$(VENV)/bin/jiceng lint rule_packs

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis
