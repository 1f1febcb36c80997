"""The terminal chat, run as a real process against the stand-in OpenAI server."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from PIL import Image

from core.limits.usage_chart import HEIGHT_PX, WIDTH_PX



CLEARED = (
    "OPENAI_API_KEY", "OPENAI_BASE_URL", "DATABASE_URL", "LOG_LEVEL", "LOG_FORMAT", "DEFAULT_MODEL", "PARLEY_ADMINS",
    "LLM_PROVIDER", "LOCAL_MODEL_PATH",
)


def shell_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in CLEARED}
    env["DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'parley.db'}"
    env.update(extra)
    return env


async def run_shell(tmp_path: Path, lines: list[str], **env: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bots.shell",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        cwd=tmp_path, env=shell_env(tmp_path, **env),
    )
    stdout, stderr = await asyncio.wait_for(process.communicate("".join(f"{l}\n" for l in lines).encode()), 60)
    return process.returncode, stdout.decode(), stderr.decode()


async def test_chat_commands_and_memory_across_restarts(tmp_path, llm):
    env = {"OPENAI_BASE_URL": llm.base_url, "OPENAI_API_KEY": "test-key-not-real"}
    code, out, err = await run_shell(
        tmp_path,
        ["my name is Ada", "/persona create pirate Talk like a pirate.", "/persona use pirate", "/help", "/usage"],
        **env,
    )
    assert code == 0, err
    assert "parley> echo: my name is Ada" in out
    assert "Created persona `pirate`" in out and "now uses persona `pirate`" in out
    assert "/parley reset" in out and "Your usage today: 1 requests" in out

    code, out, err = await run_shell(tmp_path, ["what is my name?"], **env)
    assert code == 0, err
    last = llm.chat_requests[-1].json
    contents = [m["content"] for m in last["messages"]]
    assert last["stream"] is True and contents[0] == "Talk like a pirate."
    assert contents[1:] == ["my name is Ada", "echo: my name is Ada", "what is my name?"]

    code, out, err = await run_shell(tmp_path, ["/parley reset", "who am I?"], **env)
    assert "forgot" in out
    assert [m["content"] for m in llm.chat_requests[-1].json["messages"][1:]] == ["who am I?"]


async def test_an_llm_failure_is_said_not_swallowed(tmp_path, llm):
    from tests.standins.openai_server import Status

    llm.script(Status(500), Status(500), Status(500))
    code, out, _ = await run_shell(
        tmp_path, ["hello?"], OPENAI_BASE_URL=llm.base_url, LLM_MAX_RETRIES="0"
    )
    assert code == 0 and "Sorry" in out


async def test_openai_chosen_without_a_key_or_url_says_how_to_set_one_and_exits_non_zero(tmp_path):
    # With nothing set the chat starts on the bundled local model instead
    # (tests/infra/test_local_provider.py covers that path).
    code, out, err = await run_shell(tmp_path, ["hi"], LLM_PROVIDER="openai")
    assert code == 2 and err.strip().count("\n") == 0
    assert "OPENAI_API_KEY" in err and "OPENAI_BASE_URL" in err and "LLM_PROVIDER" in err


async def test_a_missing_local_model_path_fails_at_start_with_one_line_naming_it(tmp_path):
    code, out, err = await run_shell(tmp_path, ["hi"], LLM_PROVIDER="local", LOCAL_MODEL_PATH="/nonexistent.gguf")
    assert code == 2 and "Traceback" not in err
    assert err.strip().count("\n") == 0 and "LOCAL_MODEL_PATH" in err and "/nonexistent.gguf" in err
    assert out == ""


async def test_a_bad_setting_fails_at_start_with_one_line_naming_the_key(tmp_path):
    code, _, err = await run_shell(tmp_path, [], OPENAI_API_KEY="k", MAX_MESSAGE_CHARS="lots")
    assert code == 2 and err.strip().count("\n") == 0 and "MAX_MESSAGE_CHARS" in err


async def test_an_unreachable_database_is_one_clear_line(tmp_path):
    code, _, err = await run_shell(
        tmp_path, [], OPENAI_API_KEY="k", DATABASE_URL="postgresql+asyncpg://postgres@127.0.0.1:1/parley"
    )
    assert code == 1 and "Traceback" not in err
    assert err.strip().count("\n") == 0 and "127.0.0.1:1" in err


async def test_export_writes_the_file_to_the_current_directory_and_prints_its_path(tmp_path, llm):
    env = {"OPENAI_BASE_URL": llm.base_url, "OPENAI_API_KEY": "test-key-not-real"}
    typed = ["call me at +44 20 7946 0958", "/export", "/filter log", "/usage", "/access"]
    code, out, err = await run_shell(tmp_path, typed, **env)
    assert code == 0, err
    assert "no rules: everyone, in every channel" in out  # /access is short for /parley access, as the rest
    (chart,) = tmp_path.glob("parley-usage-*.png")  # /usage's chart, written as a file too
    assert f"Saved to {chart}" in out
    with Image.open(chart) as image:
        assert (image.format, image.size) == ("PNG", (WIDTH_PX, HEIGHT_PX))
    (exported,) = tmp_path.glob("parley-export-shell-terminal-*.jsonl")
    assert f"Saved to {exported}" in out
    lines = exported.read_text().splitlines()
    assert len(lines) == 2 and '"content": "call me at [phone]"' in lines[0]
    assert "pii `phone` → redacted" in out and "7946" not in exported.read_text()


async def test_a_line_that_is_not_utf8_is_answered_not_a_crash(tmp_path, llm):
    env = shell_env(tmp_path, OPENAI_BASE_URL=llm.base_url, OPENAI_API_KEY="test-key-not-real")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bots.shell",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        cwd=tmp_path, env={**env, "LANG": "C.UTF-8", "PYTHONIOENCODING": "utf-8"},
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(b"caf\xe9 au lait\n/parley retention \xc2\xb2\n"), 60)
    out = stdout.decode()
    assert process.returncode == 0, stderr.decode()
    assert "parley> echo: caf\ufffd au lait" in out  # answered, moderation included (the stand-in has it)
    assert "Usage: `/parley retention <days>`" in out  # a superscript two is not a number of days
    assert "Traceback" not in stderr.decode() and "went wrong" not in out


async def read_until(stream: asyncio.StreamReader, needle: str, *, timeout: float = 30) -> str:
    """What the process printed, up to and including ``needle`` (fails after ``timeout``)."""
    seen = ""
    async with asyncio.timeout(timeout):
        while needle not in seen:
            chunk = await stream.read(256)
            assert chunk, f"the process ended without printing {needle!r}; it printed: {seen!r}"
            seen += chunk.decode(errors="replace")
    return seen


async def start_shell(tmp_path: Path, env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bots.shell",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        cwd=tmp_path, env=env,
    )


async def test_a_chat_killed_mid_answer_is_answered_once_by_the_next_one(tmp_path, llm):
    """SIGKILL while the model answers; the next process on the same database answers it, late, once."""
    from tests.standins.openai_server import Reply

    env = shell_env(
        tmp_path, OPENAI_BASE_URL=llm.base_url, OPENAI_API_KEY="test-key-not-real", MODERATION_ENABLED="false",
        INBOX_LEASE_SECONDS="1", RECOVERY_INTERVAL_SECONDS="0.2",
    )
    held = asyncio.Event()
    llm.script(Reply("the first half, and", deltas=["the first half, ", "and"], gate=held, gate_after=1))
    first = await start_shell(tmp_path, env)
    first.stdin.write("what is the plan?\n".encode())
    await first.stdin.drain()
    await read_until(first.stdout, "the first half, ")  # half-shown...
    first.kill()  # ...and killed: SIGKILL, no cleanup
    await first.wait()
    held.set()

    second = await start_shell(tmp_path, env)  # same database; the stand-in now answers at once
    shown = await read_until(second.stdout, "(Sorry this answer is late")
    second.stdin.close()
    out, err = await asyncio.wait_for(second.communicate(), 30)
    shown += out.decode()
    assert second.returncode == 0, err.decode()
    assert "was not answered when Parley stopped" in shown and "echo: what is the plan?" in shown
    assert shown.count("echo: what is the plan?") == 1

    code, out, err = await run_shell(tmp_path, ["what did I ask?"], **{k: env[k] for k in ("OPENAI_BASE_URL", "OPENAI_API_KEY")})
    assert code == 0, err
    asked = [m["content"] for m in llm.chat_requests[-1].json["messages"]]
    assert asked.count("what is the plan?") == 1 and asked.count("echo: what is the plan?") == 1  # memory: once
