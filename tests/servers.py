"""Running the real server (`attune serve`) as a process, for tests over TCP and browsers."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_server(database_url: str) -> Iterator[str]:
    """`attune serve` on a free port of the database; its base URL; stopped with SIGTERM."""
    port = free_port()
    env = os.environ | {"ATTUNE_DATABASE_URL": database_url, "ATTUNE_ENVIRONMENT": "test"}
    command = [sys.executable, "-m", "app.cli", "serve", "--port", str(port)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{base}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            pytest.fail("the server did not become ready")
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=15)[0].decode()
        # uvicorn shuts down gracefully, then re-raises the signal as its exit status.
        assert process.returncode in (0, -signal.SIGTERM), output
        assert "Application shutdown complete" in output
