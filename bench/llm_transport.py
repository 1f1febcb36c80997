"""The openai client under a burst: ``python -m bench.llm_transport``.

N streamed completions started at once through ``OpenAIProvider`` against the
stand-in OpenAI server, which runs in a child process (so its work is not
counted), answering at once.  For each HTTP transport of the SDK (its default
``httpx2`` stack, and ``aiohttp`` through ``openai.DefaultAioHttpClient``) it
prints the wall time for the burst, the CPU time of this process per stream,
and p50/p99 from start to the first text and to the end of each stream.
The same is done for N moderation requests.  Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import resource
import time
from typing import Any

from bench import machine, quiet_logging, summarise_ms
from core.filters.openai_moderation import OpenAIModeration
from core.llm.openai_provider import OpenAIProvider
from core.llm_types import ChatMessage, CompletionRequest
from core.messages import Usage


def serve(port_out, stop) -> None:  # the child process: the stand-in, until told to stop
    from tests.standins.openai_server import OpenAIStandIn

    async def main() -> None:
        async with OpenAIStandIn() as server:
            port_out.send(server.port)
            await asyncio.get_running_loop().run_in_executor(None, stop.wait)

    asyncio.run(main())


async def one_stream(provider: OpenAIProvider, n: int) -> tuple[float, float]:
    started = time.perf_counter()
    first = None
    request = CompletionRequest(model="gpt-4o-mini", messages=(ChatMessage("user", f"question {n} " * 20),))
    async for piece in provider.stream(request):
        if first is None and not isinstance(piece, Usage):
            first = time.perf_counter() - started
    return first or 0.0, time.perf_counter() - started


async def burst(base_url: str, *, transport: str, streams: int) -> dict[str, Any]:
    provider = OpenAIProvider(api_key="bench", base_url=base_url, timeout=60, max_retries=0, transport=transport)
    moderator = OpenAIModeration(api_key="bench", base_url=base_url, model="omni-moderation-latest",
                                 transport=transport)
    try:
        await asyncio.gather(*(one_stream(provider, n) for n in range(10)))  # warm up: connections, imports
        cpu, wall = time.process_time(), time.perf_counter()
        results = await asyncio.gather(*(one_stream(provider, n) for n in range(streams)))
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        mod_cpu, mod_wall = time.process_time(), time.perf_counter()
        await asyncio.gather(*(moderator.check(f"text {n}") for n in range(streams)))
        mod_cpu, mod_wall = time.process_time() - mod_cpu, time.perf_counter() - mod_wall
    finally:
        await provider.close()
        await moderator.close()
    return {
        "streams": streams,
        "wall_s": round(wall, 3),
        "cpu_ms_per_stream": round(cpu * 1000 / streams, 2),
        "first_text": summarise_ms([first for first, _ in results]),
        "whole_stream": summarise_ms([whole for _, whole in results]),
        "moderation": {"wall_s": round(mod_wall, 3), "cpu_ms_per_check": round(mod_cpu * 1000 / streams, 2)},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, default=200)
    args = parser.parse_args()
    quiet_logging("WARNING")
    spawn = multiprocessing.get_context("spawn")
    port_in, port_out = spawn.Pipe(duplex=False)
    stop = spawn.Event()
    child = spawn.Process(target=serve, args=(port_out, stop), daemon=True)
    child.start()
    try:
        base_url = f"http://127.0.0.1:{port_in.recv()}/v1"
        result: dict[str, Any] = {"benchmark": "llm_transport", "machine": machine()}
        for transport in ("httpx", "aiohttp"):
            result[transport] = asyncio.run(burst(base_url, transport=transport, streams=args.streams))
        result["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        print(json.dumps(result, indent=2))
    finally:
        stop.set()
        child.join(timeout=10)


if __name__ == "__main__":
    main()
