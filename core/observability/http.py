"""``/healthz``, ``/readyz`` and ``/metrics`` over aiohttp: added to an existing server (Slack's HTTP mode) or
served on HEALTH_PORT by ``HealthServer`` (Slack Socket Mode, Discord).

- ``GET /healthz``: 200 ``ok`` while the process runs its event loop (liveness).
- ``GET /readyz``: 200 when every readiness check passes, else 503; the JSON body names what is down
  (``{"ready": false, "down": ["redis"], "checks": {...}}``).  Answers within a second.
- ``GET /metrics``: the Prometheus text format of this process's metrics.
"""

from __future__ import annotations

from aiohttp import web

from core.observability.prometheus import PrometheusMetrics
from core.observability.readiness import Readiness
from core.process import EXIT_UNAVAILABLE, StartupFailed

HEALTH_PATH = "/healthz"
READY_PATH = "/readyz"
METRICS_PATH = "/metrics"


def add_health_routes(app: web.Application, *, readiness: Readiness, metrics: PrometheusMetrics | None) -> None:
    async def alive(_request: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def ready(_request: web.Request) -> web.Response:
        report = await readiness.run()
        return web.json_response(report.as_json(), status=200 if report.ready else 503)

    async def scrape(_request: web.Request) -> web.Response:
        if metrics is None:
            raise web.HTTPNotFound(text="no metrics in this process")
        body, content_type = metrics.exposition()
        response = web.Response(body=body)
        response.headers["Content-Type"] = content_type
        return response

    app.router.add_get(HEALTH_PATH, alive)
    app.router.add_get(READY_PATH, ready)
    app.router.add_get(METRICS_PATH, scrape)


class HealthServer:
    """The three routes on a port of their own (HEALTH_PORT; 0 picks a free one, see ``port``)."""

    def __init__(
        self, *, readiness: Readiness, metrics: PrometheusMetrics | None, port: int, host: str = "0.0.0.0"
    ) -> None:
        self._app = web.Application()
        add_health_routes(self._app, readiness=readiness, metrics=metrics)
        self._host = host
        self._port = port
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    async def start(self) -> int:
        """Start serving; returns the bound port."""
        self._runner = web.AppRunner(self._app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        try:
            await web.TCPSite(self._runner, self._host, self._port).start()
        except OSError as error:
            await self.aclose()
            raise StartupFailed(
                f"HEALTH_PORT {self._port}: cannot listen there ({error.strerror or error}); set HEALTH_PORT to a free "
                "port (0 picks one).", exit_code=EXIT_UNAVAILABLE,
            ) from None
        self.port = int(self._runner.addresses[0][1])
        return self.port

    async def aclose(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
