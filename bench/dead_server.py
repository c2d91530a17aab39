"""How long a call takes to fail against a dead model server, with the settings from
the environment (the defaults unless ``COAUTHOR_*`` says otherwise).

    .venv/bin/python bench/dead_server.py

Two servers that never reply: a port nobody listens on (the connection is refused)
and one that accepts connections but never answers (a hung server).
"""

from __future__ import annotations

import socket
import time

from rich.console import Console
from rich.table import Table

from coauthor.llm.base import ModelError
from coauthor.llm.registry import model_from_string
from coauthor.settings import Settings


def seconds_to_fail(url: str, settings: Settings) -> tuple[float, str]:
    model = model_from_string(f"openai:m@{url}", settings)
    started = time.monotonic()
    try:
        model.text([{"role": "user", "content": "hello"}])
    except ModelError as exc:
        return time.monotonic() - started, str(exc)
    finally:
        model.close()
    return time.monotonic() - started, "(it answered)"


def main() -> None:
    settings = Settings()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        refused = probe.getsockname()[1]
    with socket.socket() as hung:
        hung.bind(("127.0.0.1", 0))
        hung.listen(16)
        cases = {
            "refuses connections": f"http://127.0.0.1:{refused}/v1",
            "accepts, never answers": f"http://127.0.0.1:{hung.getsockname()[1]}/v1",
        }
        table = Table(
            title=f"connect {settings.connect_timeout:g} s, read {settings.read_timeout:g} s, "
            f"{settings.max_retries} retries"
        )
        for column in ("server", "seconds to fail", "error"):
            table.add_column(column)
        for name, url in cases.items():
            elapsed, error = seconds_to_fail(url, settings)
            table.add_row(name, f"{elapsed:.1f}", error)
    Console().print(table)


if __name__ == "__main__":
    main()
