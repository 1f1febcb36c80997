# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test install migrate bench clean

run: install migrate
	$(PY) -m bots.shell

test: install
	$(PY) -m pytest

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

migrate: install
	$(PY) -m core.storage.migrate

bench: install
	$(PY) -m bench.core_overhead
	$(PY) -m bench.memory_window

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
