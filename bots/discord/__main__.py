"""Composition root of the Discord bot: ``python -m bots.discord``.

Once connected, takes over what a stopped process left unanswered (at once,
then every RECOVERY_INTERVAL_SECONDS; ``DiscordRedelivery`` shows it).  Stops
on SIGTERM/SIGINT: lets answers in flight finish (up to DRAIN_SECONDS, then
cancels them: a cancelled answer is let go), disconnects, then closes the core,
which releases what this process did not finish to the next one at once.  A
connection that ends for good (a refused token, a missing intent, Discord
unreachable) is one line on stderr and exit code 1.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress

import aiohttp
import discord
import structlog

from bots.discord.app import DiscordBot
from bots.discord.connection import DiscordConfigError, DiscordOptions, point_discord_at
from core.bootstrap import describe_llm
from core.log import configure_logging
from core.observability.http import HealthServer
from core.process import EXIT_UNAVAILABLE, StartupFailed, core_or_fail, run_main, settings_or_fail, stop_signal

log = structlog.get_logger("bots.discord")  # not __name__ ("__main__"): our loggers live under "bots"

DRAIN_SECONDS = 5.0  # how long answers in flight get to finish after SIGTERM before they are cancelled
DISCONNECT_SECONDS = 10.0  # how long the connection gets to end after ``close``

LOGIN_REFUSED = "Discord refused DISCORD_BOT_TOKEN: copy the token again from the developer portal (your application → Bot)."
INTENT_MISSING = (
    "Discord did not allow the Message Content intent: enable it on the developer portal "
    "(your application → Bot → Privileged Gateway Intents)."
)


async def main() -> int:
    settings = settings_or_fail()
    configure_logging(log_format=settings.log_format, level=settings.log_level)
    try:
        options = DiscordOptions.from_settings(settings)
    except DiscordConfigError as error:
        raise StartupFailed(str(error)) from None
    point_discord_at(api_url=settings.discord_api_url, gateway_url=settings.discord_gateway_url)
    running = await core_or_fail(settings)
    log.info("discord.starting", llm=describe_llm(settings), sharded=options.sharded)
    bot = DiscordBot(running.core, options)
    running.readiness.add("discord", bot.gateway_check)
    health = HealthServer(readiness=running.readiness, metrics=running.metrics, port=settings.health_port)
    try:
        log.info("health.started", port=await health.start(), paths="/healthz /readyz /metrics")
    except StartupFailed:
        await running.aclose()
        raise
    connection = asyncio.create_task(bot.run())
    recovery = asyncio.create_task(
        bot.take_over_when_ready(running, interval_seconds=settings.recovery_interval_seconds)
    )
    try:
        with stop_signal() as stop:
            await _until_stopped(connection, stop, api_url=settings.discord_api_url)
        log.info("discord.stopping", in_flight=bot.in_flight.active)
    finally:
        if not await bot.in_flight.drain(timeout=DRAIN_SECONDS):
            log.warning("discord.stopped_with_answers_in_flight", in_flight=bot.in_flight.active)
        await bot.close()
        recovery.cancel()
        with suppress(asyncio.CancelledError, Exception):
            await recovery
        with suppress(asyncio.CancelledError, Exception):
            await asyncio.wait_for(connection, timeout=DISCONNECT_SECONDS)
        await health.aclose()
        await running.aclose()
    return 0


async def _until_stopped(connection: asyncio.Task[None], stop: asyncio.Event, *, api_url: str) -> None:
    """Until ``stop`` is set or the connection ends; one that ended for good raises StartupFailed saying why."""
    stopper = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({connection, stopper}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopper.cancel()
    if not connection.done():
        return
    try:
        connection.result()
    except discord.LoginFailure:
        raise StartupFailed(LOGIN_REFUSED, exit_code=EXIT_UNAVAILABLE) from None
    except discord.PrivilegedIntentsRequired:
        raise StartupFailed(INTENT_MISSING, exit_code=EXIT_UNAVAILABLE) from None
    except (discord.DiscordException, aiohttp.ClientError, OSError) as error:  # unreachable, 5xx, a gateway close
        reason = " ".join(str(error).split()) or type(error).__name__
        raise StartupFailed(f"Cannot connect to Discord at {api_url}: {reason}", exit_code=EXIT_UNAVAILABLE) from None


if __name__ == "__main__":
    run_main(main)
