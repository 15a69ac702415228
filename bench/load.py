"""Load: 60 s of a mobile app's mixed traffic against `attune serve --workers 2` on PostgreSQL.

Usage (from the repository root; `make bench-load` runs the first line):
  .venv/bin/python bench/load.py
  .venv/bin/python bench/load.py --duration 20 --connections 32   # a shorter look
  .venv/bin/python bench/load.py --database sqlite                # the same on SQLite

Makes a fresh database (PostgreSQL: `attune_bench_<pid>` through psql, dropped at the end;
see databases.py), migrates and loads it, and starts the server the way it is deployed:
`attune serve --workers 2`, JSON logs and all (they go to a file). Then, through the API,
it makes RESPONDENTS respondents, each with in-progress assessments (to save answers to) and
submitted ones (to read results of), and hands their ids to wrk (bench/lua/mixed.lua), which
cycles every connection through: fetch the questionnaire, save answers, submit a whole
assessment (one-shot, a new client id each time), read a result.

After an uncounted warm-up it measures DURATION seconds at CONNECTIONS connections and prints
requests/s, p50/p95/p99 latency and the error count (non-2xx answers plus wrk's socket errors
and timeouts), then PASS or MISS for the targets: zero errors and p99 under 100 ms. wrk, the
two workers and PostgreSQL share this machine's cores, so the figures include that contention.
Exit status: 0 (1 with --strict on a missed target), 1 if the run failed, 2 if wrk is missing.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

from databases import KINDS, Database, fresh_database
from servers import (
    ROOT,
    BenchError,
    Server,
    attune_env,
    free_port,
    request_json,
    run_cli,
    stop_server,
    wait_ready,
)
from wrkrun import INSTALL_HINT, LUA, MARKER, find_wrk

QUESTIONNAIRE = "window-of-tolerance"
RESPONDENTS = 32
PER_RESPONDENT = 16  # in-progress and submitted assessments each: 512 of each in all
P99_TARGET_MS = 100.0
PERCENTILES = "MIXED_PERCENTILES "


@dataclass(frozen=True)
class Figures:
    """What one measured wrk run counted."""

    requests: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    non_2xx: int
    socket_errors: int

    @property
    def errors(self) -> int:
        """Non-2xx answers plus connect/read/write errors and timeouts."""
        return self.non_2xx + self.socket_errors


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line; the defaults are the issue's: 60 s, 64 connections, 2 workers."""
    parser = argparse.ArgumentParser(
        prog="bench/load.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add = parser.add_argument
    add("--database", choices=KINDS, default="postgresql", help="(postgresql)")
    add("--duration", type=int, default=60, help="measured seconds (60)")
    add("--warmup", type=int, default=5, help="uncounted warm-up seconds (5)")
    add("--connections", type=int, default=64, help="open HTTP connections (64)")
    add("--threads", type=int, default=2, help="wrk threads (2)")
    add("--workers", type=int, default=2, help="uvicorn worker processes (2)")
    add("--timeout", type=int, default=5, help="wrk's per-request timeout in seconds (5)")
    add("--strict", action="store_true", help="exit 1 if a target is missed")
    return parser.parse_args(argv)


def start_attune(env: dict[str, str], workers: int, work: Path) -> Server:
    """`attune serve --workers N` as deployed; its (JSON) log goes to a file in `work`."""
    port = free_port()
    log_path = work / "attune.log"
    log = log_path.open("w")
    attune = Path(sys.executable).with_name("attune")
    command = [str(attune), "serve", "--port", str(port), "--workers", str(workers)]
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
    )
    return Server(name="attune", port=port, process=process, log_path=log_path, log=log)


def answers(base_url: str) -> tuple[str, str]:
    """The save body (the first four items) and a whole assessment's answers, as JSON."""
    definition = request_json(f"{base_url}/v1/questionnaires/{QUESTIONNAIRE}")
    chosen = {item["id"]: item["options"][1]["value"] for item in definition["items"]}
    first = dict(list(chosen.items())[:4])
    return json.dumps({"answers": first}), json.dumps(chosen)


def make_state(base_url: str, whole: str, path: Path) -> int:
    """Respondents with in-progress and submitted assessments; one line per pair in `path`."""
    lines = []
    for _ in range(RESPONDENTS):
        token = request_json(f"{base_url}/v1/respondents", body={})["token"]
        auth = {"Authorization": f"Bearer {token}"}
        for _ in range(PER_RESPONDENT):
            start = {"questionnaire_id": QUESTIONNAIRE, "answers": {}}
            open_id = request_json(f"{base_url}/v1/assessments", body=start, headers=auth)["id"]
            submission = {
                "id": str(uuid.uuid4()),
                "questionnaire_id": QUESTIONNAIRE,
                "answers": json.loads(whole),
                "answered_at": "2026-11-20T08:30:00Z",
            }
            done = request_json(f"{base_url}/v1/submissions", body=submission, headers=auth)
            lines.append(f"{token} {open_id} {done['assessment']['id']}")
    path.write_text("\n".join(lines) + "\n")
    return len(lines)


def run_wrk(
    wrk: str, url: str, seconds: int, args: argparse.Namespace, extra: list[str]
) -> Figures:
    """One wrk run of mixed.lua; its summary lines turned into Figures."""
    command = [
        wrk,
        f"--threads={args.threads}",
        f"--connections={args.connections}",
        f"--duration={seconds}s",
        f"--timeout={args.timeout}s",
        f"--script={LUA / 'mixed.lua'}",
        url,
        "--",
        *extra,
        str(args.threads),
    ]
    done = subprocess.run(
        command, capture_output=True, text=True, check=False, timeout=seconds + 120
    )
    found = {
        marker: json.loads(line.removeprefix(marker))
        for line in done.stdout.splitlines()
        for marker in (MARKER, PERCENTILES)
        if line.startswith(marker)
    }
    if len(found) != 2:
        raise BenchError(
            f"wrk gave no summary (exit {done.returncode}):\n{done.stdout}{done.stderr}"
        )
    return _figures(found[MARKER], found[PERCENTILES])


def _figures(summary: dict[str, float], more: dict[str, float]) -> Figures:
    socket = sum(summary[k] for k in ("connect_errors", "read_errors", "write_errors", "timeouts"))
    return Figures(
        requests=int(summary["requests"]),
        seconds=summary["duration_us"] / 1e6,
        p50_ms=summary["p50_us"] / 1000,
        p95_ms=more["p95_us"] / 1000,
        p99_ms=summary["p99_us"] / 1000,
        max_ms=summary["max_us"] / 1000,
        non_2xx=int(summary["status_other"]),
        socket_errors=int(socket),
    )


def report(figures: Figures, database: Database, args: argparse.Namespace) -> bool:
    """Print the figures and the targets; True if both were met."""
    errors_ok, p99_ok = figures.errors == 0, figures.p99_ms < P99_TARGET_MS
    print(f"\nload: {database.description}")
    print(
        f"  attune serve --workers {args.workers}; wrk {args.threads} threads, "
        f"{args.connections} connections, {figures.seconds:.0f} s measured "
        f"(after {args.warmup} s warm-up); flow: questionnaire, save, submit, result"
    )
    print(
        f"  requests/s  {figures.requests / figures.seconds:,.0f}  ({figures.requests:,} answered)"
    )
    print(
        f"  latency     p50 {figures.p50_ms:.1f} ms   p95 {figures.p95_ms:.1f} ms   "
        f"p99 {figures.p99_ms:.1f} ms   max {figures.max_ms:.1f} ms"
    )
    split = f"non-2xx {figures.non_2xx}, socket {figures.socket_errors}"
    print(f"  errors      {figures.errors} ({split})")
    print(f"  {'PASS' if errors_ok else 'MISS'}  zero errors")
    print(f"  {'PASS' if p99_ok else 'MISS'}  p99 < {P99_TARGET_MS:.0f} ms")
    return errors_ok and p99_ok


def run(args: argparse.Namespace, wrk: str, work: Path) -> bool:
    """Set up the database, the server and its state; warm up; measure; report."""
    with fresh_database(args.database, work) as database:
        env = attune_env(database.url) | {"ATTUNE_ENVIRONMENT": "development"}
        run_cli(["migrate"], env)
        run_cli(["questionnaires", "load"], env)
        server = start_attune(env, args.workers, work)
        try:
            wait_ready(server, "/readyz")
            save, whole = answers(server.base_url)
            pairs = make_state(server.base_url, whole, work / "state.txt")
            print(f"  state: {RESPONDENTS} respondents, {pairs} in-progress + {pairs} submitted")
            extra = [str(work / "state.txt"), save, whole]
            if args.warmup:
                run_wrk(wrk, server.base_url, args.warmup, args, extra)
            figures = run_wrk(wrk, server.base_url, args.duration, args, extra)
        finally:
            stop_server(server)
        return report(figures, database, args)


def main(argv: list[str] | None = None) -> int:
    """Run once; the exit status is described in the module docstring."""
    args = parse_args(argv)
    wrk = find_wrk()
    if wrk is None:
        print(INSTALL_HINT, file=sys.stderr)
        return 2
    try:
        with tempfile.TemporaryDirectory(prefix="attune-load-") as work:
            passed = run(args, wrk, Path(work))
    except BenchError as error:
        print(f"load benchmark failed: {error}", file=sys.stderr)
        return 1
    return 1 if args.strict and not passed else 0


if __name__ == "__main__":
    sys.exit(main())
