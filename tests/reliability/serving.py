"""The real server (`attune serve`) as a process these tests may kill, with its output kept.

Unlike tests/servers.py (a context manager that always stops the server gracefully), a test
here decides how the server ends: SIGKILL mid-load for the crash test, SIGTERM otherwise.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx

from tests.servers import free_port


@dataclass
class Server:
    """A running `attune serve` and the file its stdout and stderr go to."""

    process: subprocess.Popen[bytes]
    base_url: str
    log_path: Path
    log: IO[bytes]

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush, no finishing the requests in flight."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=15)
        self.log.close()

    def stop(self) -> None:
        """SIGTERM: uvicorn finishes the requests it holds, then exits."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=15)
        self.log.close()

    def output(self) -> str:
        """Everything the server printed so far."""
        return self.log_path.read_text(errors="replace")


def start_server(database_url: str, log_path: Path, **env: str) -> Server:
    """Start `attune serve` on a free port of `database_url`; return once /readyz answers."""
    port = free_port()
    environment = os.environ | env | {"ATTUNE_DATABASE_URL": database_url}
    environment.setdefault("ATTUNE_ENVIRONMENT", "test")
    log = log_path.open("ab")
    command = [sys.executable, "-m", "app.cli", "serve", "--port", str(port)]
    process = subprocess.Popen(
        command, env=environment, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
    )
    server = Server(process, f"http://127.0.0.1:{port}", log_path, log)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.close()
            raise AssertionError(f"the server exited early:\n{server.output()}")
        try:
            if httpx.get(f"{server.base_url}/readyz").status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.1)
    server.stop()
    raise AssertionError(f"the server did not become ready:\n{server.output()}")
