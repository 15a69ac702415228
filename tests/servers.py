"""Running the real server (`attune serve`) as a process, for tests over TCP and browsers."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

import httpx
import pytest


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_server(
    database_url: str, *, workers: int = 1, env: dict[str, str] | None = None, **settings: str
) -> Iterator[str]:
    """`attune serve` on a free port of the database; its base URL; stopped with SIGTERM.

    `env` and `settings` are more environment variables for the server (ATTUNE_…).
    """
    # Output to a file, not a pipe: the server logs a line per request, and a pipe nobody
    # reads until the end fills up (64 KiB) and then blocks the server mid-test.
    with tempfile.TemporaryFile() as output_file:
        yield from _serve(database_url, output_file, workers, (env or {}) | settings)


#: How long a test server may take to answer /readyz.
STARTUP_SECONDS = 30


def _serve(
    database_url: str, output_file: IO[bytes], workers: int, extra_env: dict[str, str]
) -> Iterator[str]:
    port = free_port()
    env = os.environ | {"ATTUNE_DATABASE_URL": database_url, "ATTUNE_ENVIRONMENT": "test"}
    env |= extra_env
    command = [sys.executable, "-m", "app.cli", "serve", "--port", str(port)]
    command += ["--workers", str(workers)]
    process = subprocess.Popen(command, env=env, stdout=output_file, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        # Generous: on a loaded 2-core machine a cold start (imports, migrations check,
        # argon2 warm-up) has taken over 10 s. A server that exits fails at once instead.
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            try:
                if httpx.get(f"{base}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None:
                pytest.fail(f"the server exited with {process.returncode} before it was ready")
            if time.monotonic() > deadline:
                pytest.fail(f"the server did not become ready in {STARTUP_SECONDS} s")
            time.sleep(0.1)
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=15)
        output_file.seek(0)
        output = output_file.read().decode()
        # uvicorn shuts down gracefully, then re-raises the signal as its exit status.
        assert process.returncode in (0, -signal.SIGTERM), output
        assert "Application shutdown complete" in output
