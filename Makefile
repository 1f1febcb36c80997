# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
LOCAL_STAMP := $(VENV)/.installed-local
# The local model's engine (the `local` extra). llama-cpp-python has no wheel on
# PyPI, so we build one, portable (GGML_NATIVE=OFF: a native build crashes on
# some CPUs), into a directory of our own outside the checkout: pip's wheel
# cache ignores CMAKE_ARGS, and every clone on this machine reuses this wheel.
# Keep LLAMA_CPP_VERSION in step with the `local` extra in pyproject.toml.
LLAMA_CPP_VERSION := 0.3.36
WHEELS := $(HOME)/.cache/parley/wheels

.PHONY: run test install install-local migrate bench clean

# The local extra is installed only when the provider resolves to local
# (LLM_PROVIDER=local, or auto with no OPENAI_API_KEY/OPENAI_BASE_URL).
run: install migrate
	@if $(PY) -c 'import sys; from core.config import load_settings; sys.exit(load_settings().resolved_llm_provider != "local")' 2>/dev/null; \
	then $(MAKE) --no-print-directory install-local; fi
	$(PY) -m bots.shell

test: install install-local
	$(PY) -m pytest

install: $(STAMP)

install-local: $(LOCAL_STAMP)

$(LOCAL_STAMP): $(STAMP)
	@mkdir -p $(WHEELS)
	@if ! ls $(WHEELS)/llama_cpp_python-$(LLAMA_CPP_VERSION)-*.whl >/dev/null 2>&1; then \
	  echo "Building llama-cpp-python $(LLAMA_CPP_VERSION) (portable, ~5 min on 2 cores, once per machine) into $(WHEELS)..."; \
	  CMAKE_ARGS="-DGGML_NATIVE=OFF" $(PY) -m pip wheel --no-cache-dir --no-deps -w $(WHEELS) llama-cpp-python==$(LLAMA_CPP_VERSION) || exit 1; \
	fi
	$(PY) -m pip install --quiet --find-links $(WHEELS) --only-binary llama-cpp-python -e '.[dev,local]'
	@touch $(LOCAL_STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

migrate: install
	$(PY) -m core.storage.migrate

bench: install install-local
	$(PY) -m bench.core_overhead
	$(PY) -m bench.memory_window
	$(PY) -m bench.local_model
	$(PY) -m bench.limit_check
	$(PY) -m bench.filters
	$(PY) -m bench.slack_burst
	$(PY) -m bench.discord_burst

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
