"""Throughput and latency of Attune against a bare FastAPI baseline, measured with wrk.

Run by `make bench` (`.venv/bin/python bench/throughput.py`); `--help` says what is measured.
Helpers: `servers.py` (processes), `wrkrun.py` (wrk), `lua/*.lua` (the wrk scenarios).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import sqlite3
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import baseline
from servers import (
    BenchError,
    Server,
    attune_env,
    request_json,
    run_cli,
    start_server,
    stop_server,
    wait_ready,
)
from wrkrun import INSTALL_HINT, Load, Result, find_wrk, run_scenario

QUESTIONNAIRE = "window-of-tolerance"
QUESTIONNAIRE_PATH = f"/v1/questionnaires/{QUESTIONNAIRE}"
SUBMIT_PATH = "/v1/submissions"
TARGETS = {"questionnaire": 0.60, "submit": 0.35}
LABELS = {
    "baseline": f"baseline GET {baseline.PATH}",
    "questionnaire": f"GET {QUESTIONNAIRE_PATH}",
    "submit": f"POST {SUBMIT_PATH}",
}

HELP = f"""\
Starts, on 127.0.0.1 with free ports and one uvicorn worker each (--no-access-log):
  * baseline: a bare FastAPI app (bench/baseline.py) answering GET {baseline.PATH} with a
    constant small JSON - the floor of what uvicorn + FastAPI can do here;
  * Attune, on a fresh temporary SQLite database (migrated and loaded first).
Then drives each scenario with wrk (the same client for all): a warm-up run that is not
counted, then a measured run.
  baseline       GET {baseline.PATH}
  questionnaire  GET {QUESTIONNAIRE_PATH} (Accept-Language: en)
  submit         POST {SUBMIT_PATH}: a new random UUID and random answers to every item
                 per request, as one respondent (Authorization: Bearer)
Prints requests/s (completed responses per second), p50 and p99 latency, errors (non-2xx
responses, counted by the scripts' response(), plus wrk's socket errors and timeouts: a
request still unanswered after --timeout; wrk records no latency above it) and the ratio
to the baseline's requests/s, and checks the targets:
  questionnaire >= {TARGETS["questionnaire"]:.2f} x baseline,
  submit        >= {TARGETS["submit"]:.2f} x baseline,
  zero errors in every scenario.
Then stops the servers (uvicorn finishes the requests it holds), counts the rows in the
database's assessments table with sqlite3 and compares them with the 2xx submission
responses (warm-up included): every acknowledged submission must be stored. A few more
rows than 2xx answers is expected and explained: when its time is up wrk drops the
requests in flight (at most one per connection per run) whose writes the server completes.
wrk and both servers share this machine's cores, so the figures include that contention;
compare ratios, not absolute numbers, across machines.
Exit status: 0 (even on a missed target unless --strict: then 1 on any miss, lost
acknowledged writes included), 1 if the run itself failed, 2 if wrk is missing."""


@dataclass
class Run:
    """Everything one benchmark run measured."""

    load: Load
    measured: dict[str, Result] = field(default_factory=dict)
    warmups: dict[str, Result | None] = field(default_factory=dict)
    stored_rows: int = 0


@dataclass(frozen=True)
class Check:
    """One target: what it asks, what was measured, and whether it was met."""

    name: str
    measured: str
    passed: bool


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line; the defaults are the ones the targets were set for."""
    parser = argparse.ArgumentParser(
        prog="bench/throughput.py",
        description=HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add = parser.add_argument
    add("--duration", type=int, default=10, help="measured seconds per scenario (10)")
    add("--warmup", type=int, default=2, help="uncounted warm-up seconds per scenario (2)")
    add("--connections", type=int, default=32, help="open HTTP connections (32)")
    add("--threads", type=int, default=2, help="wrk threads (2)")
    add("--timeout", type=int, default=2, help="wrk's per-request timeout in seconds (2)")
    add("--json", type=Path, metavar="FILE", help="also write the results to FILE as JSON")
    add("--strict", action="store_true", help="exit 1 if a target is missed")
    args = parser.parse_args(argv)
    if min(args.duration, args.connections, args.threads, args.timeout) < 1 or args.warmup < 0:
        parser.error("--duration, --connections, --threads and --timeout must be >= 1")
    if args.connections < args.threads:
        parser.error("--connections must be at least --threads (wrk's rule)")
    return args


def machine(wrk: str) -> dict[str, Any]:
    """The machine the figures come from, and how busy it was before the run."""
    version = subprocess.run([wrk, "--version"], capture_output=True, text=True, check=False)
    return {
        "nproc": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "platform": platform.platform(),
        "wrk": ((version.stdout + version.stderr).splitlines() or ["wrk ?"])[0].split(" [")[0],
        "load_average_before": [round(value, 2) for value in os.getloadavg()],
    }


def prepare_database(work: Path) -> tuple[Path, dict[str, str]]:
    """A fresh SQLite file, migrated and loaded; the environment that points Attune at it."""
    database = work / "attune-bench.db"
    env = attune_env(f"sqlite+aiosqlite:///{database}")
    run_cli(["migrate"], env)
    run_cli(["questionnaires", "load"], env)
    return database, env


def submission_args(attune: Server) -> list[str]:
    """The submit script's arguments: a respondent's token, then "item=v1,v2,..." per item."""
    questionnaire = request_json(
        attune.base_url + QUESTIONNAIRE_PATH, headers={"Accept-Language": "en"}
    )
    respondent = request_json(attune.base_url + "/v1/respondents", body={})
    items = [
        f"{item['id']}={','.join(str(option['value']) for option in item['options'])}"
        for item in questionnaire["items"]
    ]
    if not items:
        raise BenchError(f"{QUESTIONNAIRE} has no items to answer")
    return [str(respondent["token"]), *items]


def load_all(wrk: str, run: Run, servers: dict[str, Server]) -> None:
    """Drive the three scenarios one after another, each with a warm-up first."""
    plans = {
        "baseline": (servers["baseline"].base_url + baseline.PATH, []),
        "questionnaire": (servers["attune"].base_url + QUESTIONNAIRE_PATH, []),
        "submit": (servers["attune"].base_url + SUBMIT_PATH, submission_args(servers["attune"])),
    }
    for scenario, (url, script_args) in plans.items():
        print(f"  {scenario}: {run.load.warmup} s warm-up, {run.load.duration} s measured...")
        warm, measured = run_scenario(wrk, scenario, url, run.load, script_args)
        run.warmups[scenario], run.measured[scenario] = warm, measured


def benchmark(wrk: str, load: Load) -> Run:
    """Start both servers, load them, stop them (in-flight requests finish), count rows."""
    run = Run(load=load)
    with tempfile.TemporaryDirectory(prefix="attune-bench-") as tmp:
        work = Path(tmp)
        database, env = prepare_database(work)
        servers: dict[str, Server] = {}
        try:
            servers["baseline"] = start_server(
                "baseline",
                ["baseline:app", "--app-dir", str(Path(baseline.__file__).parent)],
                env,
                work,
            )
            servers["attune"] = start_server(
                "attune", ["app.main:create_app", "--factory"], env, work
            )
            wait_ready(servers["baseline"], baseline.PATH)
            wait_ready(servers["attune"], "/healthz")
            load_all(wrk, run, servers)
        finally:
            for server in servers.values():
                stop_server(server)
        run.stored_rows = count_rows(database, "assessments")
    return run


def count_rows(database: Path, table: str) -> int:
    """Rows in `table`, read straight from the SQLite file with the sqlite3 module."""
    connection = sqlite3.connect(database)
    try:
        (count,) = connection.execute(f"SELECT count(*) FROM {table}").fetchone()  # noqa: S608
        return int(count)
    finally:
        connection.close()


def print_table(run: Run) -> None:
    """scenario, requests/s, p50 ms, p99 ms, errors, ratio to the baseline."""
    floor = run.measured["baseline"].rps
    width = max(len(label) for label in LABELS.values())
    header = (
        f"{'scenario':<{width}} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6} {'ratio':>6}"
    )
    print(header)
    print("-" * len(header))
    for scenario, result in run.measured.items():
        ratio = result.rps / floor if floor else 0.0
        print(
            f"{LABELS[scenario]:<{width}} {result.rps:>8.0f} {result.p50_us / 1000:>8.2f} "
            f"{result.p99_us / 1000:>8.2f} {result.errors:>6d} {ratio:>5.2f}x"
        )
    for scenario, result in run.measured.items():
        if result.errors:
            print(
                f"  {scenario} errors: {result.status_other} non-2xx, {result.timeouts} timeouts "
                f"(> {run.load.timeout} s), {result.connect_errors} connect, "
                f"{result.read_errors} read, {result.write_errors} write"
            )


def checks(run: Run) -> list[Check]:
    """The targets: ratios to the baseline, zero errors, and no lost acknowledged write."""
    floor = run.measured["baseline"].rps
    found: list[Check] = []
    for scenario, target in TARGETS.items():
        ratio = run.measured[scenario].rps / floor if floor else 0.0
        found.append(
            Check(f"{scenario} >= {target:.2f} x baseline", f"{ratio:.2f}x", ratio >= target)
        )
    errors = sum(result.errors for result in run.measured.values())
    found.append(Check("zero errors (all scenarios)", str(errors), errors == 0))
    acknowledged, _ = submissions(run)
    lost = max(acknowledged - run.stored_rows, 0)
    found.append(Check("no acknowledged submission lost", f"{lost} lost", lost == 0))
    return found


def submissions(run: Run) -> tuple[int, int]:
    """(2xx submission responses, submissions sent but never answered), warm-up included."""
    results = [run.measured["submit"], run.warmups.get("submit")]
    counted = [result for result in results if result is not None]
    acknowledged = sum(result.status_2xx for result in counted)
    unanswered = sum(result.sent - result.status_2xx - result.status_other for result in counted)
    return acknowledged, max(unanswered, 0)


def print_durability(run: Run) -> None:
    """Rows in assessments beside the 2xx submissions wrk counted; explain any difference."""
    acknowledged, unanswered = submissions(run)
    rows = run.stored_rows
    print(
        f"durability: {rows} rows in assessments, {acknowledged} submissions acknowledged "
        f"with 2xx (warm-up included)"
    )
    if rows < acknowledged:
        print(f"WARNING: {acknowledged - rows} acknowledged submissions are NOT stored")
    elif rows > acknowledged + unanswered:
        print(
            f"WARNING: {rows - acknowledged} more rows than 2xx answers, and only {unanswered} "
            "submissions were sent without an answer: rows came from elsewhere"
        )
    elif rows > acknowledged:
        print(
            f"WARNING: rows != acknowledged: {rows - acknowledged} more rows than 2xx answers. "
            f"wrk dropped {unanswered} sent submissions unanswered when its time ran out "
            "(at most one per connection per run); the server stored those it had received. "
            "No acknowledged submission is missing."
        )


def report(run: Run, info: dict[str, Any]) -> list[Check]:
    """Print the machine, the table, the targets and the durability check."""
    load = run.load
    print(
        f"\nmachine: nproc={info['nproc']} (usable {info['usable_cpus']}), {info['python']}, "
        f"{info['platform']}, {info['wrk']}, load average before {info['load_average_before']}"
    )
    print(
        f"wrk ({load.threads} threads, {load.connections} connections) and both servers "
        f"(1 uvicorn worker each) share these {info['usable_cpus']} cores; "
        f"{load.duration} s measured after {load.warmup} s warm-up per scenario\n"
    )
    print_table(run)
    print()
    found = checks(run)
    for check in found:
        print(f"{'PASS' if check.passed else 'MISS'}  {check.name}: {check.measured}")
    print_durability(run)
    return found


def write_json(path: Path, run: Run, info: dict[str, Any], found: list[Check]) -> None:
    """The same figures as the table, for tracking over time."""
    acknowledged, unanswered = submissions(run)
    document = {
        "machine": info,
        "load": vars(run.load),
        "scenarios": {name: result.to_json() for name, result in run.measured.items()},
        "warmups": {name: r.to_json() if r else None for name, r in run.warmups.items()},
        "ratios": {name: r.rps / run.measured["baseline"].rps for name, r in run.measured.items()},
        "checks": [vars(check) for check in found],
        "durability": {
            "stored_rows": run.stored_rows,
            "acknowledged": acknowledged,
            "unanswered_at_cutoff": unanswered,
        },
    }
    path.write_text(json.dumps(document, indent=2) + "\n")


def exit_on_signal(signum: int, _frame: object) -> None:
    """SIGTERM/SIGHUP end the run through the normal exit path, so servers are stopped."""
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; see HELP for the exit status."""
    args = parse_args(argv)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, exit_on_signal)
    wrk = find_wrk()
    if wrk is None:
        print(INSTALL_HINT, file=sys.stderr)
        return 2
    load = Load(args.duration, args.connections, args.threads, args.timeout, args.warmup)
    info = machine(wrk)
    print("starting the baseline and Attune (fresh SQLite database), then loading with wrk:")
    try:
        run = benchmark(wrk, load)
    except (BenchError, OSError, subprocess.SubprocessError) as error:
        print(f"benchmark failed: {error}", file=sys.stderr)
        return 1
    found = report(run, info)
    if args.json:
        write_json(args.json, run, info, found)
        print(f"results written to {args.json}")
    return 1 if args.strict and not all(check.passed for check in found) else 0


if __name__ == "__main__":
    sys.exit(main())
