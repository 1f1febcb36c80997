"""Composition root of the Slack adapter: ``python -m bots.slack``.

Socket Mode when SLACK_APP_TOKEN is set, otherwise HTTP on PORT; with SLACK_CLIENT_ID (HTTP only), installs
for many workspaces, each answered with its own token (``bots.slack.install``).  Once
connected it answers what processes that went away left unanswered, then
looks again every RECOVERY_INTERVAL_SECONDS (``RunningCore.start_recovery``
with ``SlackRedelivery``).  Stops on SIGTERM/SIGINT: stops taking events and
starting redeliveries, lets answers in flight finish (up to DRAIN_SECONDS,
then cancels them), then closes the core, which releases what this process
did not finish so that the next one takes it over at once.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress

import structlog

from bots.slack.app import build_bot
from bots.slack.install import oauth_problem
from bots.slack.server import HttpServer, connect_socket_mode, socket_check
from bots.slack.translate import PLATFORM
from core.config import Settings
from core.log import configure_logging
from core.observability.http import HealthServer, add_health_routes
from core.observability.readiness import not_yet
from core.process import StartupFailed, core_or_fail, run_main, settings_or_fail, stop_signal

log = structlog.get_logger("bots.slack")

DRAIN_SECONDS = 20.0  # Heroku gives 30 s between SIGTERM and SIGKILL


def missing_setting(settings: Settings) -> str | None:
    """The one line to print when the settings cannot run the Slack adapter."""
    if settings.slack_client_id:  # installs for many workspaces (bots/slack/install.py)
        problem = oauth_problem(settings)
        if problem is None and not settings.slack_signing_secret:
            problem = "SLACK_SIGNING_SECRET is not set: HTTP mode needs the app's Signing Secret (Basic Information page)."
        return problem
    if not settings.slack_bot_token:
        return ("SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token (xoxb-…) of your Slack app into .env "
                "(or set SLACK_CLIENT_ID to install Parley into many workspaces).")
    if not settings.slack_app_token and not settings.slack_signing_secret:
        return (
            "SLACK_SIGNING_SECRET is not set: HTTP mode needs the app's Signing Secret (Basic Information page); "
            "or set SLACK_APP_TOKEN (xapp-…) to use Socket Mode instead."
        )
    return None


async def main() -> int:
    settings = settings_or_fail()
    configure_logging(log_format=settings.log_format, level=settings.log_level)
    problem = missing_setting(settings)
    if problem is not None:
        raise StartupFailed(problem)
    running = await core_or_fail(settings)
    bot = build_bot(running.core, settings, engine=running.database.engine)
    server: HttpServer | None = None
    health: HealthServer | None = None
    socket = None
    recovery: asyncio.Task | None = None
    try:
        with stop_signal() as stop:
            if settings.slack_app_token:
                running.readiness.add("slack", not_yet("the Slack Socket Mode connection is not open yet"))
                health = HealthServer(readiness=running.readiness, metrics=running.metrics, port=settings.health_port)
                log.info("health.started", port=await health.start(), paths="/healthz /readyz /metrics")
                socket = await connect_socket_mode(bot.app, app_token=settings.slack_app_token)
                running.readiness.add("slack", socket_check(socket))
                log.info("slack.started", mode="socket", api=settings.slack_api_url)
            else:
                server = HttpServer(bot.app, port=settings.port, routes=lambda web_app: add_health_routes(
                    web_app, readiness=running.readiness, metrics=running.metrics
                ))
                port = await server.start()
                log.info("slack.started", mode="http", port=port, path="/slack/events", api=settings.slack_api_url)
            # Connected: a first round now (alongside new events), then every RECOVERY_INTERVAL_SECONDS.
            recovery = asyncio.create_task(running.start_recovery(
                bot.redelivery, platform=PLATFORM, interval_seconds=settings.recovery_interval_seconds
            ))
            await stop.wait()
        log.info("slack.stopping", in_flight=bot.in_flight.active)
    finally:
        bot.redelivery.close()
        if socket is not None:
            await socket.close_async()
        if server is not None:
            await server.aclose()
        if health is not None:
            await health.aclose()
        if not await bot.in_flight.drain(timeout=DRAIN_SECONDS):
            log.warning("slack.stopped_with_answers_in_flight", in_flight=bot.in_flight.active)
            await bot.in_flight.cancel()
        if recovery is not None:
            recovery.cancel()  # the first round, if it still runs; the later ones stop with the core
            with suppress(asyncio.CancelledError):
                await recovery
        await bot.aclose()
        await running.aclose()
    return 0


if __name__ == "__main__":
    run_main(main)
