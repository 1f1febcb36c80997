"""``python -m core.observability.probe [/healthz|/readyz]``: a container's health check, with no curl.

Asks this process's probe on 127.0.0.1: HEALTH_PORT (Socket Mode, Discord) first, then PORT (Slack's HTTP
mode serves the probes beside its events).  Exit 0 when one answers 200, 1 otherwise (printing why).
"""

from __future__ import annotations

import sys
import urllib.error
import urllib.request

from core.config import SettingsError, load_settings

PATHS = ("/healthz", "/readyz")


def probe(path: str, *, ports: tuple[int, ...], timeout: float = 2.0) -> tuple[bool, str]:
    said = []
    for port in ports:
        url = f"http://127.0.0.1:{port}{path}"
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:
                return True, f"{url}: {response.status}"
        except urllib.error.HTTPError as error:  # 503: not ready; its body names what is down
            said.append(f"{url}: {error.code} {error.read(500).decode(errors='replace')}")
        except OSError as error:
            said.append(f"{url}: {error}")
    return False, "; ".join(said)


def main(argv: list[str]) -> int:
    path = argv[0] if argv else "/healthz"
    if path not in PATHS:
        print(f"usage: python -m core.observability.probe [{'|'.join(PATHS)}]", file=sys.stderr)
        return 2
    try:
        settings = load_settings()
    except SettingsError as error:
        print(error, file=sys.stderr)
        return 1
    ok, said = probe(path, ports=tuple(dict.fromkeys(p for p in (settings.health_port, settings.port) if p)))
    print(said, file=sys.stdout if ok else sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
