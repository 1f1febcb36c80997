"""Composition root of the Discord bot: ``python -m bots.discord``."""

from __future__ import annotations

import asyncio
import signal
import sys
from contextlib import suppress

import aiohttp
import discord
import structlog

from bots.discord.bot import DiscordBot
from bots.discord.connection import DiscordConfigError, DiscordOptions, point_discord_at
from core.bootstrap import describe_llm
from core.log import configure_logging
from core.process import StartupFailed, core_or_fail, run_main, settings_or_fail

log = structlog.get_logger("bots.discord")  # not __name__ ("__main__"): our loggers live under "bots"

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
    try:
        return await _run_until_stopped(bot, api_url=settings.discord_api_url)
    finally:
        await bot.close()
        await running.aclose()


async def _run_until_stopped(bot: DiscordBot, *, api_url: str) -> int:
    """Run until Discord ends the connection for good or SIGTERM/SIGINT asks us to stop."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    runner = asyncio.create_task(bot.run())
    stopper = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if runner.done():
            runner.result()
        return 0
    except discord.LoginFailure:
        print(LOGIN_REFUSED, file=sys.stderr)
    except discord.PrivilegedIntentsRequired:
        print(INTENT_MISSING, file=sys.stderr)
    except (discord.DiscordException, aiohttp.ClientError, OSError) as error:  # unreachable, 5xx, a gateway close
        reason = " ".join(str(error).split()) or type(error).__name__
        print(f"Cannot connect to Discord at {api_url}: {reason}", file=sys.stderr)
    finally:
        stopper.cancel()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
        if not runner.done():
            await bot.close()
            with suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(runner, timeout=10)
    return 1


if __name__ == "__main__":
    run_main(main)
