"""Server processes for the benchmark: free ports, start, wait until ready, stop.

Both servers run as `python -m uvicorn ... --workers 1 --no-access-log` on 127.0.0.1, so
the baseline and Attune share the same server, event loop, HTTP parser and logging options.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
HOST = "127.0.0.1"
UVICORN_OPTIONS = ("--workers", "1", "--no-access-log", "--host", HOST)


class BenchError(RuntimeError):
    """The benchmark could not be set up or run; the message says why."""


@dataclass
class Server:
    """A running uvicorn process and where its output goes."""

    name: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path
    log: TextIO

    @property
    def base_url(self) -> str:
        """http://127.0.0.1:PORT"""
        return f"http://{HOST}:{self.port}"

    def log_tail(self, lines: int = 20) -> str:
        """The last lines the server printed, to explain a failure."""
        self.log.flush()
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def start_server(name: str, app_args: list[str], env: dict[str, str], log_dir: Path) -> Server:
    """Start `python -m uvicorn APP_ARGS` with the shared options on a free port."""
    port = free_port()
    log_path = log_dir / f"{name}.log"
    log = log_path.open("w")
    command = [sys.executable, "-m", "uvicorn", *app_args, *UVICORN_OPTIONS, "--port", str(port)]
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
    )
    return Server(name=name, port=port, process=process, log_path=log_path, log=log)


def wait_ready(server: Server, path: str, timeout: float = 60.0) -> None:
    """Poll GET `path` until it answers 200; fail early if the process exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise BenchError(
                f"{server.name} exited with {server.process.returncode} before it was ready:\n"
                + server.log_tail()
            )
        try:
            url = server.base_url + path
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (loopback)
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    raise BenchError(f"{server.name} did not answer {path} within {timeout:.0f} s")


def stop_server(server: Server, grace: float = 10.0) -> None:
    """Terminate (uvicorn finishes in-flight requests), then kill if it lingers."""
    if server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait(timeout=grace)
    server.log.close()


def cpu_seconds(server: Server) -> float:
    """User + system CPU the server process has used so far, all its threads (Linux /proc).

    With one worker uvicorn serves in the process it was started as, so this is the app's
    CPU, including aiosqlite's thread; a database server's own processes are not in it.
    """
    stat = Path(f"/proc/{server.process.pid}/stat").read_text()
    fields = stat.rsplit(")", 1)[1].split()  # from field 3 (state) on: utime is 14, stime 15
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def request_json(
    url: str, body: dict[str, Any] | None = None, headers: dict[str, str] | None = None
) -> Any:
    """GET (or POST `body` as JSON to) `url` and return the decoded JSON answer."""
    data = None if body is None else json.dumps(body).encode()
    all_headers = {"Accept": "application/json", **(headers or {})}
    if data is not None:
        all_headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, headers=all_headers)  # noqa: S310 (loopback)
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (loopback)
        return json.loads(response.read())


def run_cli(args: list[str], env: dict[str, str]) -> None:
    """Run an `attune` subcommand from this venv; fail with its output if it fails."""
    attune = Path(sys.executable).with_name("attune")
    if not attune.exists():
        raise BenchError(f"{attune} not found: run `make install` (the app installs it)")
    done = subprocess.run(
        [str(attune), *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise BenchError(f"attune {' '.join(args)} failed:\n{done.stdout}{done.stderr}")


def attune_env(database_url: str) -> dict[str, str]:
    """This process's environment with Attune pointed at `database_url`."""
    return {**os.environ, "ATTUNE_DATABASE_URL": database_url}
