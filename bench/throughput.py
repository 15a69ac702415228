"""Throughput and latency of Attune against a bare FastAPI baseline, measured with wrk.

Usage (from the repository root; `make bench` runs the first line):
  .venv/bin/python bench/throughput.py                        # SQLite (default)
  .venv/bin/python bench/throughput.py --database postgresql  # local PostgreSQL
  .venv/bin/python bench/throughput.py --help                 # what is measured, all options

Needs wrk (`apt-get install -y wrk`) and the app installed in .venv (`make install`). With
`--database postgresql` also psql and a server on 127.0.0.1:5432 that user postgres reaches
without a password, with a database `test` to connect to and the right to CREATE DATABASE:
the run creates `attune_bench_<pid>`, migrates and loads it, and drops it at the end.

Besides the GET baseline it measures a durable-write floor: the baseline app's POST /write,
one insert and commit through Attune's own engine and session factories. Submissions are
compared with both, so the output separates Attune's own work from the driver's cost.

Helpers: `servers.py` (processes), `wrkrun.py` (wrk), `databases.py` (SQLite or PostgreSQL),
`baseline.py` (the bare app), `lua/*.lua` (the wrk scenarios).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import baseline
from databases import KINDS, Database, count_rows, fresh_database
from servers import (
    BenchError,
    Server,
    attune_env,
    cpu_seconds,
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
TABLES = {"write": baseline.WRITE_TABLE, "submit": "assessments"}
NOUNS = {"write": "floor write", "submit": "submission"}
LABELS = {
    "baseline": f"baseline GET {baseline.PATH}",
    "write": f"write floor POST {baseline.WRITE_PATH}",
    "questionnaire": f"GET {QUESTIONNAIRE_PATH}",
    "submit": f"POST {SUBMIT_PATH}",
}

HELP = f"""\
Starts, on 127.0.0.1 with free ports and one uvicorn worker each (--no-access-log):
  * baseline: a bare FastAPI app (bench/baseline.py) answering GET {baseline.PATH} with a
    constant small JSON - the floor of what uvicorn + FastAPI can do here - and POST
    {baseline.WRITE_PATH}, which inserts the posted JSON as one row and commits through the same
    engine and session factories as Attune (app.db) - the floor of one durable write;
  * Attune, migrated and loaded first;
both on one fresh database: a temporary SQLite file (--database sqlite, the default) or a
new PostgreSQL database on 127.0.0.1:5432 (--database postgresql: created with psql as
user postgres via database `test`, dropped at the end). The output names the database.
Then drives each scenario with wrk (the same client for all): a warm-up run that is not
counted, then a measured run.
  baseline       GET {baseline.PATH}
  write          POST {baseline.WRITE_PATH}: a small constant JSON body, a new row per request
  questionnaire  GET {QUESTIONNAIRE_PATH} (Accept-Language: en)
  submit         POST {SUBMIT_PATH}: a new random UUID and random answers to every item
                 per request, as one respondent (Authorization: Bearer)
Prints requests/s (completed responses per second), p50 and p99 latency, errors (non-2xx
responses, counted by the scripts' response(), plus wrk's socket errors and timeouts: a
request still unanswered after --timeout; wrk records no latency above it), the ratio to
the baseline's requests/s and, for the writes, the ratio to the write floor's. Then the
server CPU per response (the server process's user + system time over the scenario, warm-up
included, divided by its responses; a database server's own processes are not in it). Then
splits a submission's cost - 1 / requests/s (one worker serves them all) and server CPU -
into the durable write the floor pays too and Attune's own work, and says whether the floor
alone could reach the submit target. Checks the targets:
  questionnaire >= {TARGETS["questionnaire"]:.2f} x baseline,
  submit        >= {TARGETS["submit"]:.2f} x baseline (the GET baseline, not the floor),
  zero errors in every scenario.
Then stops the servers (uvicorn finishes the requests it holds), counts the rows in the
assessments and {baseline.WRITE_TABLE} tables outside the app's drivers (sqlite3 module or
psql) and compares them with the 2xx responses (warm-up included): every acknowledged write
must be stored. A few more rows than 2xx answers is expected and explained: when its time is
up wrk drops the requests in flight (at most one per connection per run) whose writes the
server completes.
wrk, both servers and PostgreSQL share this machine's cores, so the figures include that
contention; compare ratios, not absolute numbers, across machines.
Exit status: 0 (even on a missed target unless --strict: then 1 on any miss, lost
acknowledged writes included), 1 if the run itself failed, 2 if wrk is missing."""


@dataclass
class Run:
    """Everything one benchmark run measured."""

    load: Load
    database: Database
    measured: dict[str, Result] = field(default_factory=dict)
    warmups: dict[str, Result | None] = field(default_factory=dict)
    stored_rows: dict[str, int] = field(default_factory=dict)
    cpu_ms: dict[str, float] = field(default_factory=dict)


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
    add("--database", choices=KINDS, default="sqlite", help="the database to run on (sqlite)")
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


def prepare_database(database: Database) -> dict[str, str]:
    """Migrate and load the fresh database; the environment that points both apps at it."""
    env = {**attune_env(database.url), baseline.DATABASE_ENV: database.url}
    run_cli(["migrate"], env)
    run_cli(["questionnaires", "load"], env)
    return env


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
    """Drive the four scenarios one after another, each with a warm-up first."""
    base, attune = servers["baseline"], servers["attune"]
    plans = {
        "baseline": (base, baseline.PATH, []),
        "write": (base, baseline.WRITE_PATH, []),
        "questionnaire": (attune, QUESTIONNAIRE_PATH, []),
        "submit": (attune, SUBMIT_PATH, submission_args(attune)),
    }
    for scenario, (server, path, script_args) in plans.items():
        print(f"  {scenario}: {run.load.warmup} s warm-up, {run.load.duration} s measured...")
        before = cpu_seconds(server)
        warm, measured = run_scenario(wrk, scenario, server.base_url + path, run.load, script_args)
        answered = measured.requests + (warm.requests if warm else 0)
        run.cpu_ms[scenario] = (cpu_seconds(server) - before) * 1000 / max(answered, 1)
        run.warmups[scenario], run.measured[scenario] = warm, measured


def serve_and_load(wrk: str, run: Run, env: dict[str, str], work: Path) -> None:
    """Start both servers, load them, stop them (uvicorn finishes in-flight requests)."""
    servers: dict[str, Server] = {}
    try:
        servers["baseline"] = start_server(
            "baseline",
            ["baseline:app", "--app-dir", str(Path(baseline.__file__).parent)],
            env,
            work,
        )
        servers["attune"] = start_server("attune", ["app.main:create_app", "--factory"], env, work)
        wait_ready(servers["baseline"], baseline.PATH)
        wait_ready(servers["attune"], "/healthz")
        load_all(wrk, run, servers)
    finally:
        for server in servers.values():
            stop_server(server)


def benchmark(wrk: str, load: Load, kind: str) -> Run:
    """On a fresh database: serve, load, stop, then count the rows the writes left."""
    with (
        tempfile.TemporaryDirectory(prefix="attune-bench-") as tmp,
        fresh_database(kind, Path(tmp)) as database,
    ):
        run = Run(load=load, database=database)
        print(f"database: {database.description}")
        env = prepare_database(database)
        serve_and_load(wrk, run, env, Path(tmp))
        run.stored_rows = {
            scenario: count_rows(database, table) for scenario, table in TABLES.items()
        }
    return run


def ratio(run: Run, scenario: str, to: str) -> float:
    """`scenario`'s requests/s over `to`'s (0 if `to` completed none)."""
    floor = run.measured[to].rps
    return run.measured[scenario].rps / floor if floor else 0.0


def print_table(run: Run) -> None:
    """scenario, requests/s, p50 ms, p99 ms, errors, ratio to the baseline and to the floor."""
    width = max(len(label) for label in LABELS.values())
    header = (
        f"{'scenario':<{width}} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6} "
        f"{'ratio':>6} {'vs floor':>8} {'cpu ms':>7}"
    )
    print(header)
    print("-" * len(header))
    for scenario, result in run.measured.items():
        vs_floor = f"{ratio(run, scenario, 'write'):>7.2f}x" if scenario in TABLES else ""
        print(
            f"{LABELS[scenario]:<{width}} {result.rps:>8.0f} {result.p50_us / 1000:>8.2f} "
            f"{result.p99_us / 1000:>8.2f} {result.errors:>6d} "
            f"{ratio(run, scenario, 'baseline'):>5.2f}x {vs_floor:>8} "
            f"{run.cpu_ms[scenario]:>7.3f}"
        )
    for scenario, result in run.measured.items():
        if result.errors:
            print(
                f"  {scenario} errors: {result.status_other} non-2xx, {result.timeouts} timeouts "
                f"(> {run.load.timeout} s), {result.connect_errors} connect, "
                f"{result.read_errors} read, {result.write_errors} write"
            )
    print(
        "ratio: to the baseline GET (the targets' definition); vs floor: to the write floor; "
        "cpu ms: the server process's CPU per response (warm-up included)"
    )


def print_gap(run: Run) -> None:
    """Split a submission's cost into the floor's durable write and Attune's own work."""
    wall = {name: 1000 / r.rps if r.rps else 0.0 for name, r in run.measured.items()}
    print("per request, write floor + Attune's own work = submission:")
    for name, cost in (("1 / req/s (one worker)", wall), ("server CPU", run.cpu_ms)):
        floor, submit = cost["write"], cost["submit"]
        share = (submit - floor) / submit if submit else 0.0
        print(
            f"  {name:<22} {floor:>6.2f} ms + {submit - floor:>6.2f} ms ({share:.0%}) "
            f"= {submit:>6.2f} ms"
        )
    target, floor_ratio = TARGETS["submit"], ratio(run, "write", "baseline")
    if floor_ratio < target:
        verdict = "below the submit target: unreachable through this driver stack"
    else:
        verdict = "at or above the submit target: reachable in principle"
    print(
        f"the write floor alone is {floor_ratio:.3f}x the baseline on {run.database.kind}, "
        f"{verdict}"
    )


def checks(run: Run) -> list[Check]:
    """The targets: ratios to the baseline, zero errors, and no lost acknowledged write."""
    found: list[Check] = []
    for scenario, target in TARGETS.items():
        measured = ratio(run, scenario, "baseline")
        found.append(
            Check(f"{scenario} >= {target:.2f} x baseline", f"{measured:.2f}x", measured >= target)
        )
    errors = sum(result.errors for result in run.measured.values())
    found.append(Check("zero errors (all scenarios)", str(errors), errors == 0))
    for scenario in TABLES:
        acknowledged, _ = acknowledged_writes(run, scenario)
        lost = max(acknowledged - run.stored_rows[scenario], 0)
        found.append(Check(f"no acknowledged {NOUNS[scenario]} lost", f"{lost} lost", lost == 0))
    return found


def acknowledged_writes(run: Run, scenario: str) -> tuple[int, int]:
    """(2xx responses, requests sent but never answered) of `scenario`, warm-up included."""
    results = [run.measured[scenario], run.warmups.get(scenario)]
    counted = [result for result in results if result is not None]
    acknowledged = sum(result.status_2xx for result in counted)
    unanswered = sum(result.sent - result.status_2xx - result.status_other for result in counted)
    return acknowledged, max(unanswered, 0)


def print_durability(run: Run, scenario: str) -> None:
    """Rows in `scenario`'s table beside its 2xx answers; explain any difference."""
    acknowledged, unanswered = acknowledged_writes(run, scenario)
    rows, table = run.stored_rows[scenario], TABLES[scenario]
    print(
        f"durability: {rows} rows in {table}, {acknowledged} {NOUNS[scenario]}s acknowledged "
        f"with 2xx (warm-up included)"
    )
    if rows < acknowledged:
        print(f"WARNING: {acknowledged - rows} acknowledged {NOUNS[scenario]}s are NOT stored")
    elif rows > acknowledged + unanswered:
        print(
            f"WARNING: {rows - acknowledged} more rows than 2xx answers, and only {unanswered} "
            f"{NOUNS[scenario]}s were sent without an answer: rows came from elsewhere"
        )
    elif rows > acknowledged:
        print(
            f"WARNING: rows != acknowledged: {rows - acknowledged} more rows than 2xx answers. "
            f"wrk dropped {unanswered} sent {NOUNS[scenario]}s unanswered when its time ran out "
            "(at most one per connection per run); the server stored those it had received. "
            f"No acknowledged {NOUNS[scenario]} is missing."
        )


def report(run: Run, info: dict[str, Any]) -> list[Check]:
    """Print the machine, the database, the table, the gap, the targets and durability."""
    load = run.load
    print(
        f"\nmachine: nproc={info['nproc']} (usable {info['usable_cpus']}), {info['python']}, "
        f"{info['platform']}, {info['wrk']}, load average before {info['load_average_before']}"
    )
    print(f"database: {run.database.description}")
    print(
        f"wrk ({load.threads} threads, {load.connections} connections) and both servers "
        f"(1 uvicorn worker each) share these {info['usable_cpus']} cores; "
        f"{load.duration} s measured after {load.warmup} s warm-up per scenario\n"
    )
    print_table(run)
    print()
    print_gap(run)
    print()
    found = checks(run)
    for check in found:
        print(f"{'PASS' if check.passed else 'MISS'}  {check.name}: {check.measured}")
    for scenario in TABLES:
        print_durability(run, scenario)
    return found


def write_json(path: Path, run: Run, info: dict[str, Any], found: list[Check]) -> None:
    """The same figures as the table, for tracking over time."""
    durability = {}
    for scenario, table in TABLES.items():
        acknowledged, unanswered = acknowledged_writes(run, scenario)
        durability[scenario] = {
            "table": table,
            "stored_rows": run.stored_rows[scenario],
            "acknowledged": acknowledged,
            "unanswered_at_cutoff": unanswered,
        }
    document = {
        "machine": info,
        "database": {"kind": run.database.kind, "description": run.database.description},
        "load": vars(run.load),
        "scenarios": {name: result.to_json() for name, result in run.measured.items()},
        "warmups": {name: r.to_json() if r else None for name, r in run.warmups.items()},
        "ratios": {name: ratio(run, name, "baseline") for name in run.measured},
        "ratios_to_write_floor": {name: ratio(run, name, "write") for name in TABLES},
        "server_cpu_ms_per_request": run.cpu_ms,
        "checks": [vars(check) for check in found],
        "durability": durability,
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
    print(
        f"starting the baseline and Attune (fresh {args.database} database), then loading with wrk:"
    )
    try:
        run = benchmark(wrk, load, args.database)
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
