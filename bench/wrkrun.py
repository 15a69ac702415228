"""Running wrk: find (or install) it, run one scenario's Lua script, read its summary.

Every scenario script in `bench/lua/` loads `common.lua`, whose `done()` prints one line
`BENCH_RESULT {json}` with the request count, latency percentiles (microseconds), status
counts and wrk's socket errors; this module turns that line into a `Result`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from servers import BenchError

LUA = Path(__file__).resolve().parent / "lua"
MARKER = "BENCH_RESULT "
INSTALL_HINT = "wrk is not installed: install it with `apt-get install -y wrk` (Debian package)."


@dataclass(frozen=True)
class Load:
    """How hard and how long wrk drives one scenario."""

    duration: int
    connections: int
    threads: int
    timeout: int
    warmup: int


@dataclass(frozen=True)
class Result:
    """What wrk counted in one measured run."""

    requests: int
    duration_us: int
    p50_us: float
    p90_us: float
    p99_us: float
    max_us: int
    status_2xx: int
    status_other: int
    sent: int
    connect_errors: int
    read_errors: int
    write_errors: int
    timeouts: int

    @property
    def rps(self) -> float:
        """Completed responses per second."""
        return self.requests / (self.duration_us / 1e6) if self.duration_us else 0.0

    @property
    def socket_errors(self) -> int:
        """Connect, read and write errors and timeouts, as wrk counts them."""
        return self.connect_errors + self.read_errors + self.write_errors + self.timeouts

    @property
    def errors(self) -> int:
        """Non-2xx responses plus socket errors."""
        return self.status_other + self.socket_errors

    def to_json(self) -> dict[str, Any]:
        """The counters and the derived figures, for `--json`."""
        derived = {"rps": self.rps, "errors": self.errors, "socket_errors": self.socket_errors}
        return asdict(self) | derived


def find_wrk() -> str | None:
    """wrk's path; as root, try `apt-get install -y wrk` once when it is missing."""
    found = shutil.which("wrk")
    if found or os.geteuid() != 0 or shutil.which("apt-get") is None:
        return found
    print(INSTALL_HINT + " Running as root, so trying that now...", file=sys.stderr)
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "wrk"]):
        subprocess.run(command, check=False, stdout=subprocess.DEVNULL)
    return shutil.which("wrk")


def run_wrk(wrk: str, script: str, url: str, seconds: int, load: Load, args: list[str]) -> Result:
    """One wrk run of `bench/lua/SCRIPT.lua` against `url` for `seconds`."""
    command = [
        wrk,
        f"--threads={load.threads}",
        f"--connections={load.connections}",
        f"--duration={seconds}s",
        f"--timeout={load.timeout}s",
        f"--script={LUA / (script + '.lua')}",
        url,
        "--",
        *args,
    ]
    done = subprocess.run(
        command, capture_output=True, text=True, check=False, timeout=seconds + 120
    )
    for line in done.stdout.splitlines():
        if line.startswith(MARKER):
            return Result(**json.loads(line.removeprefix(MARKER)))
    raise BenchError(f"wrk gave no summary (exit {done.returncode}):\n{done.stdout}{done.stderr}")


def run_scenario(
    wrk: str, script: str, url: str, load: Load, args: list[str]
) -> tuple[Result | None, Result]:
    """A warm-up run (not counted, None if `load.warmup` is 0), then the measured run."""
    warm = run_wrk(wrk, script, url, load.warmup, load, args) if load.warmup > 0 else None
    return warm, run_wrk(wrk, script, url, load.duration, load, args)
