"""The three timed exports of the export benchmark: API, CLI and the COPY floor.

Each reads every byte of the export and counts its lines as they arrive (nothing is kept),
so the three are compared on the same work: produce the rows and hand them to a reader.

api    GET /v1/research/export with httpx, streamed and discarded chunk by chunk;
       the server's peak memory is its VmHWM (/proc/<pid>/status) after the run, and its
       resident size is also sampled every 50 ms while it runs.
cli    `attune export … --output FILE`, timed from start to exit (interpreter start-up
       included); its rows are counted in FILE; its peak memory from wait4's rusage.
copy   `psql -c "COPY (SELECT …) TO STDOUT WITH (FORMAT csv, HEADER)"` read from a pipe.

CPU seconds are counted per run for the app server, the client (the thread of this process
that reads the export, the CLI or psql) and PostgreSQL: the backends connected to the bench
database and their parallel workers, sampled every 100 ms (`DatabaseCpu`), so other work on
a shared server does not count; a backend that ends between two samples loses at most its
last 100 ms.
"""

from __future__ import annotations

import os
import re
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from servers import BenchError

CHUNK = 1 << 20
HEAD_BYTES = 1 << 16


@dataclass
class LineCounter:
    """Bytes and lines of a stream, and how many of its first lines are headers."""

    format: str
    size: int = 0
    newlines: int = 0
    head: bytes = b""
    last: int = ord("\n")

    def feed(self, chunk: bytes) -> None:
        """Count one chunk; keep the start of the stream to find its header lines."""
        if not chunk:
            return
        self.size += len(chunk)
        self.newlines += chunk.count(b"\n")
        self.last = chunk[-1]
        if len(self.head) < HEAD_BYTES:
            self.head += chunk[: HEAD_BYTES - len(self.head)]

    def header_lines(self) -> int:
        """csv: leading `#` comment lines plus the column names; jsonl: lines before the
        first object with a person_key (none, unless the stream starts with metadata)."""
        lines = self.head.split(b"\n")
        if self.format == "csv":
            return next((n for n, line in enumerate(lines) if not line.startswith(b"#")), 0) + 1
        return next((n for n, line in enumerate(lines) if b'"person_key"' in line), 0)

    @property
    def rows(self) -> int:
        """Data rows: lines (a last one without a newline counts) minus the header lines."""
        lines = self.newlines + (0 if self.last == ord("\n") else 1)
        return max(lines - self.header_lines(), 0)


@dataclass
class Timing:
    """One timed export: what came out, how long it took, what it cost."""

    name: str
    rows: int
    size: int
    seconds: float
    first_byte: float
    cpu: dict[str, float] = field(default_factory=dict)
    peak_rss_mb: float | None = None
    load: float = field(default_factory=lambda: os.getloadavg()[0])  # 1-minute, at the end

    @property
    def rows_per_second(self) -> float:
        """Rows over wall seconds."""
        return self.rows / self.seconds if self.seconds else 0.0


def _stat_fields(pid: int | str) -> list[str]:
    """/proc/<pid>/stat from field 3 (state) on, [] if the process is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return []
    return stat.rsplit(")", 1)[1].split()


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of one process so far (0 if it is gone)."""
    fields = _stat_fields(pid)
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK") if fields else 0.0


class DatabaseCpu:
    """CPU seconds of one database's backends (and their parallel workers) while it runs."""

    def __init__(self, database: str, interval: float = 0.1) -> None:
        self.interval = interval
        self._name = re.compile(rf"^postgres: .*\b{re.escape(database)}\b")
        self._worker = re.compile(r"^postgres: .*parallel worker for PID (\d+)")
        self._start: dict[str, int] = {}  # ticks when first seen (0 if born after the start)
        self._last: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self, first: bool) -> None:
        ours = set(self._last)
        for entry in Path("/proc").iterdir():
            pid = entry.name
            if not pid.isdigit():
                continue
            try:
                if (entry / "comm").read_text().strip() != "postgres":
                    continue
                title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            worker = self._worker.match(title)
            if pid in ours or self._name.match(title) or (worker and worker[1] in ours):
                fields = _stat_fields(pid)
                if not fields:
                    continue
                ticks = int(fields[11]) + int(fields[12])
                self._start.setdefault(pid, ticks if first else 0)
                self._last[pid] = ticks
                ours.add(pid)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample(first=False)

    @contextmanager
    def running(self) -> Iterator[DatabaseCpu]:
        """Sample while the block runs; `seconds` after it."""
        self._sample(first=True)
        self._thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            self._thread.join()
            self._sample(first=False)

    @property
    def seconds(self) -> float:
        """CPU seconds used since the start."""
        ticks = sum(last - self._start.get(pid, 0) for pid, last in self._last.items())
        return ticks / os.sysconf("SC_CLK_TCK")


def status_kb(pid: int, key: str) -> int:
    """A `kB` figure of /proc/<pid>/status (VmRSS, VmHWM), 0 if the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class RssSampler:
    """Samples a process's resident size every `interval` seconds in a thread."""

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        self.pid, self.interval = pid, interval
        self.peak_kb = status_kb(pid, "VmRSS")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.peak_kb = max(self.peak_kb, status_kb(self.pid, "VmRSS"))

    @contextmanager
    def running(self) -> Iterator[RssSampler]:
        """Sample while the block runs."""
        self._thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            self._thread.join()


def api_export(
    base_url: str, params: dict[str, str], token: str, server_pid: int, fmt: str, database: str
) -> Timing:
    """Stream GET /v1/research/export to nowhere, counting; CPU of server, client, PostgreSQL."""
    counter = LineCounter(fmt)
    headers = {"Authorization": f"Bearer {token}"}
    timeout = httpx.Timeout(None, connect=10.0)
    cpu0 = (process_cpu(server_pid), time.thread_time())
    started = time.perf_counter()
    first = 0.0
    with (
        DatabaseCpu(database).running() as postgres,
        httpx.Client(base_url=base_url, timeout=timeout) as client,
        client.stream("GET", "/v1/research/export", params=params, headers=headers) as response,
    ):
        if response.status_code != 200:
            raise BenchError(f"export answered {response.status_code}: {response.read()[:500]!r}")
        for chunk in response.iter_bytes():
            first = first or time.perf_counter() - started
            counter.feed(chunk)
    seconds = time.perf_counter() - started
    cpu = {
        "server": process_cpu(server_pid) - cpu0[0],
        "client": time.thread_time() - cpu0[1],
        "postgres": postgres.seconds,
    }
    return Timing("API", counter.rows, counter.size, seconds, first, cpu)


def _wait_child(process: subprocess.Popen[bytes]) -> tuple[int, float, float]:
    """Reap a child with wait4: (exit code, its CPU seconds, its peak RSS in MB)."""
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return process.returncode, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def cli_export(
    attune: str, args: list[str], output: Path, env: dict[str, str], database: str
) -> Timing:
    """Run `attune export ARGS --output OUTPUT`; time it, count OUTPUT's rows."""
    fmt = args[args.index("--format") + 1] if "--format" in args else "csv"
    command = [attune, "export", *args, "--output", str(output)]
    with DatabaseCpu(database).running() as postgres:
        started = time.perf_counter()
        process = subprocess.Popen(
            command,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        assert process.stdout is not None
        printed = process.stdout.read()
        code, cpu, peak = _wait_child(process)
        seconds = time.perf_counter() - started
    if code != 0:
        raise BenchError(f"attune export failed ({code}):\n{printed.decode(errors='replace')}")
    counter = LineCounter(fmt)
    with output.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            counter.feed(chunk)
    used = {"client": cpu, "postgres": postgres.seconds}
    return Timing("CLI", counter.rows, counter.size, seconds, 0.0, used, peak)


def copy_floor(psql_command: list[str], sql: str, fmt: str, database: str) -> Timing:
    """`psql -c "COPY (sql) TO STDOUT …"` read from a pipe and counted."""
    options = "FORMAT csv, HEADER" if fmt == "csv" else "FORMAT text"
    command = [*psql_command, "-c", f"COPY ({sql}) TO STDOUT WITH ({options})"]
    counter = LineCounter(fmt)
    with DatabaseCpu(database).running() as postgres:
        started = time.perf_counter()
        first = 0.0
        # Unbuffered: each read returns what the pipe holds, so the first byte is timed.
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0
        )
        assert process.stdout is not None
        assert process.stderr is not None
        while chunk := process.stdout.read(CHUNK):
            first = first or time.perf_counter() - started
            counter.feed(chunk)
        errors = process.stderr.read()
        code, cpu, _ = _wait_child(process)
        seconds = time.perf_counter() - started
    if code != 0:
        raise BenchError(f"COPY failed ({code}): {errors.decode(errors='replace')}")
    used = {"client": cpu, "postgres": postgres.seconds}
    return Timing("COPY", counter.rows, counter.size, seconds, first, used)
