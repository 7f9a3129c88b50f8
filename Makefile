# surveyapp: `make run` starts the app with demo data, `make test` runs the whole suite.
# Both set up everything they need first: a virtualenv, the Python packages and (as root) Debian packages.

# The interpreter the virtualenv is made from: Debian's own python3 when it is 3.11+ with venv (built with
# profile-guided and link-time optimisation, it renders PDFs about 15% faster than a default pyenv build),
# else the first python3 on PATH. Override with PYTHON=...
PYTHON ?= $(shell /usr/bin/python3 -c 'import sys, ensurepip, venv; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1 \
  && echo /usr/bin/python3 || echo python3)
VENV ?= .venv
BIN := $(VENV)/bin
# The virtualenv remembers the interpreter that made it: another one means a new virtualenv.
VENV_MADE := $(VENV)/.made-by$(subst /,_,$(shell command -v $(PYTHON) 2>/dev/null))
FLASK := $(BIN)/flask --app surveyapp
HOST ?= 127.0.0.1
PORT ?= 5000
# pytest workers; the suite runs once on SQLite and once on PostgreSQL
JOBS ?= 2
export SURVEYAPP_INSTANCE_PATH ?= $(CURDIR)/instance
INSTANCE := $(SURVEYAPP_INSTANCE_PATH)

.PHONY: run test fuzz bench loadtest lint i18n i18n-check wheel system-deps clean help

help:
	@echo "make run    start the app on SQLite with demo data at http://$(HOST):$(PORT)"
	@echo "make test   run the whole test suite (SQLite, then PostgreSQL)"
	@echo "make fuzz   the fuzz suite with many more examples (SQLite, then PostgreSQL)"
	@echo "make bench  print speed and memory figures"
	@echo "make loadtest [SHORT=1] [RATE=n]  two app hosts under load and faults (PostgreSQL: SURVEYAPP_TEST_DATABASE_URL)"
	@echo "make i18n   extract, update and compile the translation catalogs"

$(VENV_MADE):
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "surveyapp needs Python 3.11 or newer"' \
	  || { echo "make: Python 3.11+ is required as '$(PYTHON)'"; exit 1; }
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV) || { echo "make: could not create a virtualenv: install python3-venv (apt-get install python3-venv)"; exit 1; }
	$(BIN)/pip install --quiet --upgrade pip
	touch $@

# Reinstall when the dependencies change.
$(VENV)/.installed: $(VENV_MADE) setup.cfg pyproject.toml .ci/constraints.txt
	$(BIN)/pip install --quiet -c .ci/constraints.txt -e '.[postgres,server,s3,test]' \
	  || { echo "make: pip could not install the Python packages (is PyPI reachable?)"; exit 1; }
	touch $@

system-deps:
	@.ci/system-deps

$(INSTANCE)/config.py:
	@mkdir -p $(INSTANCE)
	@$(PYTHON) -c 'import secrets; print("# Created by make run for local demo use; see README \"Configuration\".\nSECRET_KEY = %r\nDEMO = True" % secrets.token_hex(32))' > $@
	@echo "created $@ (demo mode, random SECRET_KEY)"

run: $(VENV)/.installed system-deps $(INSTANCE)/config.py
	$(FLASK) db upgrade
	$(FLASK) forms load
	$(FLASK) pdf fonts || echo "make: no print font: PDFs work, embedding the full CJK font (slower)"
	$(FLASK) demo load
	@echo ""
	@echo "  surveyapp is starting at http://$(HOST):$(PORT)"
	@$(FLASK) demo logins
	@echo ""
	@# One background worker beside the web server (publishing, letters, mail), stopped with it.
	$(FLASK) jobs worker --workers 2 & worker=$$!; trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	  $(FLASK) run --host $(HOST) --port $(PORT)

test: $(VENV)/.installed system-deps
	@.ci/test-both $(BIN) $(JOBS)

# SURVEYAPP_FUZZ_EXAMPLES: generated examples per endpoint and import format (make test: 6)
FUZZ_EXAMPLES ?= 200
fuzz: $(VENV)/.installed system-deps
	@SURVEYAPP_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) .ci/test-both $(BIN) $(JOBS) tests/fuzz

bench: $(VENV)/.installed system-deps
	$(BIN)/python -m tests.bench

# Two app hosts under load and faults (not part of `make test`): needs SURVEYAPP_TEST_DATABASE_URL (PostgreSQL).
# SHORT=1: the CI version, under two minutes. RATE=8: offer 8 visits a second instead of the issue's 25.
loadtest: $(VENV)/.installed system-deps
	$(BIN)/python -m tests.load $(if $(SHORT),--short) $(if $(RATE),--rate $(RATE))

lint:
	$(BIN)/python -m ruff check surveyapp tests

i18n: $(VENV)/.installed
	$(BIN)/python -m surveyapp.i18n_tool update

wheel: $(VENV)/.installed
	$(BIN)/python -m build --wheel --outdir dist .

clean:
	rm -rf $(VENV) dist build *.egg-info .pytest_cache
