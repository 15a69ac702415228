"""Throughput and server CPU of Attune against floors measured in the same run, with wrk.

Usage (from the repository root; `make bench` runs the first line):
  .venv/bin/python bench/throughput.py --database both        # SQLite, then PostgreSQL
  .venv/bin/python bench/throughput.py                        # SQLite only (the default)
  .venv/bin/python bench/throughput.py --database postgresql --rounds 5
  .venv/bin/python bench/throughput.py --help                 # what is measured, all options

Needs wrk (the Debian package: as root it is installed with apt-get when missing) and the
app installed in .venv (`make install`). With PostgreSQL also psql and a server on
127.0.0.1:5432 that user postgres reaches without a password, with a database `test` to
connect to and the right to CREATE DATABASE: the run creates `attune_bench_<pid>`, migrates
and loads it, and drops it at the end.

Helpers: `servers.py` (processes), `wrkrun.py` (wrk), `databases.py` (SQLite or PostgreSQL),
`baseline.py` (the bare app and both write floors), `lua/*.lua` (the wrk scenarios).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable
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
SCENARIOS = ("baseline", "rawwrite", "write", "questionnaire", "submit")
#: The targets of issue 15: the fetch as a ratio to the baseline GET, and a submission's own
#: server CPU beyond the ORM write floor, per database (ms).
QUESTIONNAIRE_TARGET = 0.75
OWN_CPU_TARGET_MS = {"sqlite": 0.8, "postgresql": 0.6}
TABLES = {"rawwrite": baseline.RAW_TABLE, "write": baseline.WRITE_TABLE, "submit": "assessments"}
NOUNS = {"rawwrite": "bare-driver write", "write": "floor write", "submit": "submission"}
LABELS = {
    "baseline": f"baseline GET {baseline.PATH}",
    "rawwrite": f"driver floor POST {baseline.RAW_PATH}",
    "write": f"ORM floor POST {baseline.WRITE_PATH}",
    "questionnaire": f"GET {QUESTIONNAIRE_PATH}",
    "submit": f"POST {SUBMIT_PATH}",
}

_SQ, _PG = OWN_CPU_TARGET_MS["sqlite"], OWN_CPU_TARGET_MS["postgresql"]
HELP = f"""\
Starts, on 127.0.0.1 with free ports and one uvicorn worker each (--no-access-log):
  * baseline: a bare FastAPI app (bench/baseline.py) answering
      GET {baseline.PATH}        a constant small JSON: the floor of uvicorn + FastAPI here;
      POST {baseline.WRITE_PATH}      the posted JSON as one row, committed through Attune's own
                       engine and session factories (app.db): the ORM floor of a write;
      POST {baseline.RAW_PATH}  the same row through the bare driver (an asyncpg pool, or one
                       aiosqlite connection with BEGIN IMMEDIATE): the driver floor;
  * Attune, migrated and loaded first;
both on one fresh database: a temporary SQLite file or a new PostgreSQL database on
127.0.0.1:5432 (created with psql as user postgres via database `test`, dropped at the end).
Then, ROUNDS times, drives each scenario in turn with wrk (the same client for all): a
warm-up run that is not counted, then a measured run. Interleaving the rounds makes a change
of the machine's load fall on every scenario alike.
  baseline       GET {baseline.PATH}
  rawwrite       POST {baseline.RAW_PATH}: a small constant JSON body, a new row per request
  write          POST {baseline.WRITE_PATH}: the same body
  questionnaire  GET {QUESTIONNAIRE_PATH} (Accept-Language: en)
  submit         POST {SUBMIT_PATH}: a new random UUID and random answers to every item
                 per request, as one respondent (Authorization: Bearer)
For each scenario and round: requests/s, p50/p99, errors (non-2xx answers, counted by the
scripts' response(), plus wrk's socket errors and timeouts), and the server CPU per response
(the server process's user + system time over warm-up and measured run, divided by its
responses; a database server's own processes are not in it). Each figure is printed as the
median over the rounds with its min-max, and the 1-minute load average at each round's start.
Then the ratios that the targets are set on, each within one round:
  questionnaire / baseline requests/s              target >= {QUESTIONNAIRE_TARGET:.2f}
  submission CPU - ORM floor CPU (Attune's own)    target <= {_SQ} ms (SQLite),
                                                          <= {_PG} ms (PostgreSQL)
and, for the distance to the real limit, the ORM floor's CPU beyond the driver floor's and
the submission's beyond the driver floor's. PASS or MISS is judged on the median, and also:
zero errors in every scenario and round, and no acknowledged write lost: after the servers
stop (uvicorn finishes the requests it holds) the rows of the assessments and both floor
tables are counted outside the app's drivers (sqlite3 module or psql) and compared with the
2xx answers (warm-ups included). A few more rows than 2xx answers is expected and explained:
when its time is up wrk drops the requests in flight, whose writes the server completes.
wrk, both servers and PostgreSQL share this machine's cores, so the figures include that
contention; compare ratios, not absolute numbers, across machines.
Exit status: 0 (even on a missed target unless --strict: then 1 on any miss, lost
acknowledged writes included), 1 if the run itself failed, 2 if wrk is missing."""


@dataclass
class Round:
    """One pass over every scenario."""

    load_average: float
    measured: dict[str, Result] = field(default_factory=dict)
    warmups: dict[str, Result | None] = field(default_factory=dict)
    cpu_ms: dict[str, float] = field(default_factory=dict)


@dataclass
class Run:
    """Everything one benchmark run on one database measured."""

    load: Load
    database: Database
    rounds: list[Round] = field(default_factory=list)
    stored_rows: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Check:
    """One target: what it asks, what was measured, and whether it was met."""

    name: str
    measured: str
    passed: bool


@dataclass(frozen=True)
class Spread:
    """A figure over the rounds: its median, smallest and largest value."""

    values: tuple[float, ...]

    @property
    def median(self) -> float:
        """The median over the rounds."""
        return statistics.median(self.values) if self.values else 0.0

    def show(self, fmt: str = ".2f", suffix: str = "") -> str:
        """`median [min-max]`, or just the value when there was one round."""
        if len(self.values) < 2:
            return f"{self.median:{fmt}}{suffix}"
        low, high = min(self.values), max(self.values)
        return f"{self.median:{fmt}}{suffix} [{low:{fmt}}-{high:{fmt}}]"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line; the defaults are the ones the targets were set for."""
    parser = argparse.ArgumentParser(
        prog="bench/throughput.py",
        description=HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add = parser.add_argument
    add(
        "--database",
        choices=(*KINDS, "both"),
        default="sqlite",
        help="the database to run on; both: SQLite, then PostgreSQL (sqlite)",
    )
    add("--rounds", type=int, default=3, help="passes over every scenario (3)")
    add("--duration", type=int, default=8, help="measured seconds per scenario and round (8)")
    add("--warmup", type=int, default=2, help="uncounted warm-up seconds before each (2)")
    add("--connections", type=int, default=32, help="open HTTP connections (32)")
    add("--threads", type=int, default=2, help="wrk threads (2)")
    add("--timeout", type=int, default=2, help="wrk's per-request timeout in seconds (2)")
    add("--json", type=Path, metavar="FILE", help="also write the results to FILE as JSON")
    add("--strict", action="store_true", help="exit 1 if a target is missed")
    args = parser.parse_args(argv)
    if min(args.duration, args.connections, args.threads, args.timeout, args.rounds) < 1:
        parser.error("--rounds, --duration, --connections, --threads and --timeout must be >= 1")
    if args.warmup < 0:
        parser.error("--warmup must be >= 0")
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


def load_rounds(wrk: str, run: Run, servers: dict[str, Server], rounds: int) -> None:
    """Drive every scenario in turn, ROUNDS times, each with a warm-up first."""
    base, attune = servers["baseline"], servers["attune"]
    # Each scenario's wrk script in bench/lua/; both write floors post the same body.
    plans = {
        "baseline": (base, "baseline", baseline.PATH, []),
        "rawwrite": (base, "write", baseline.RAW_PATH, []),
        "write": (base, "write", baseline.WRITE_PATH, []),
        "questionnaire": (attune, "questionnaire", QUESTIONNAIRE_PATH, []),
        "submit": (attune, "submit", SUBMIT_PATH, submission_args(attune)),
    }
    for number in range(1, rounds + 1):
        this = Round(load_average=os.getloadavg()[0])
        print(f"  round {number}/{rounds} (load average {this.load_average:.2f}):", flush=True)
        for scenario, (server, script, path, script_args) in plans.items():
            before = cpu_seconds(server)
            warm, measured = run_scenario(
                wrk, script, server.base_url + path, run.load, script_args
            )
            answered = measured.requests + (warm.requests if warm else 0)
            this.cpu_ms[scenario] = (cpu_seconds(server) - before) * 1000 / max(answered, 1)
            this.warmups[scenario], this.measured[scenario] = warm, measured
            print(
                f"    {scenario:<13} {measured.rps:>8.0f} req/s  "
                f"{this.cpu_ms[scenario]:.3f} ms CPU  {measured.errors} errors",
                flush=True,
            )
        run.rounds.append(this)


def serve_and_load(wrk: str, run: Run, env: dict[str, str], work: Path, rounds: int) -> None:
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
        load_rounds(wrk, run, servers, rounds)
    finally:
        for server in servers.values():
            stop_server(server)


def benchmark(wrk: str, load: Load, kind: str, rounds: int) -> Run:
    """On a fresh database: serve, load, stop, then count the rows the writes left."""
    with (
        tempfile.TemporaryDirectory(prefix="attune-bench-") as tmp,
        fresh_database(kind, Path(tmp)) as database,
    ):
        run = Run(load=load, database=database)
        print(f"database: {database.description}")
        env = prepare_database(database)
        serve_and_load(wrk, run, env, Path(tmp), rounds)
        run.stored_rows = {
            scenario: count_rows(database, table) for scenario, table in TABLES.items()
        }
    return run


def spread(run: Run, figure: Callable[[Round], float]) -> Spread:
    """One figure of every round."""
    return Spread(tuple(figure(r) for r in run.rounds))


def rps_ratio(scenario: str, to: str) -> Callable[[Round], float]:
    """`scenario`'s requests/s over `to`'s in the same round (0 if `to` completed none)."""

    def figure(r: Round) -> float:
        floor = r.measured[to].rps
        return r.measured[scenario].rps / floor if floor else 0.0

    return figure


def cpu_beyond(scenario: str, floor: str) -> Callable[[Round], float]:
    """`scenario`'s server CPU per response beyond `floor`'s, in the same round (ms)."""
    return lambda r: r.cpu_ms[scenario] - r.cpu_ms[floor]


def print_table(run: Run) -> None:
    """Per scenario: req/s, p50, p99, errors, ratio to the baseline, CPU ms (median [min-max])."""
    width = max(len(label) for label in LABELS.values())
    header = (
        f"{'scenario':<{width}} {'req/s':>20} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6} "
        f"{'x baseline':>20} {'CPU ms/response':>22}"
    )
    print(header)
    print("-" * len(header))
    for scenario in SCENARIOS:
        rps = spread(run, lambda r, s=scenario: r.measured[s].rps)
        p50 = spread(run, lambda r, s=scenario: r.measured[s].p50_us / 1000)
        p99 = spread(run, lambda r, s=scenario: r.measured[s].p99_us / 1000)
        errors = sum(r.measured[scenario].errors for r in run.rounds)
        ratio = spread(run, rps_ratio(scenario, "baseline"))
        cpu = spread(run, lambda r, s=scenario: r.cpu_ms[s])
        print(
            f"{LABELS[scenario]:<{width}} {rps.show('.0f'):>20} {p50.median:>7.2f} "
            f"{p99.median:>7.2f} {errors:>6d} {ratio.show('.2f', 'x'):>20} "
            f"{cpu.show('.3f'):>22}"
        )
    for number, r in enumerate(run.rounds, 1):
        for scenario, result in r.measured.items():
            if result.errors:
                print(
                    f"  round {number} {scenario} errors: {result.status_other} non-2xx, "
                    f"{result.timeouts} timeouts (> {run.load.timeout} s), "
                    f"{result.connect_errors} connect, {result.read_errors} read, "
                    f"{result.write_errors} write"
                )
    loads = ", ".join(f"{r.load_average:.2f}" for r in run.rounds)
    print(
        f"median [min-max] over {len(run.rounds)} rounds (load average at each round's start: "
        f"{loads}); p50/p99: medians; CPU: the server process's, warm-up included"
    )


def cpu_ratio(scenario: str, to: str) -> Callable[[Round], float]:
    """`to`'s server CPU per response over `scenario`'s: the requests/s ratio the server's own
    CPU allows, steadier than the measured one when other jobs share the cores."""
    return lambda r: r.cpu_ms[to] / r.cpu_ms[scenario] if r.cpu_ms[scenario] else 0.0


def print_costs(run: Run) -> None:
    """The fetch's CPU against the baseline's; a submission's CPU split into its floors."""
    fetch_cpu = spread(run, cpu_ratio("questionnaire", "baseline"))
    print(
        "questionnaire vs baseline by server CPU per response (baseline CPU / fetch CPU): "
        f"{fetch_cpu.show('.2f', 'x')}"
    )
    driver = spread(run, lambda r: r.cpu_ms["rawwrite"])
    orm = spread(run, cpu_beyond("write", "rawwrite"))
    own = spread(run, cpu_beyond("submit", "write"))
    total = spread(run, lambda r: r.cpu_ms["submit"])
    beyond_driver = spread(run, cpu_beyond("submit", "rawwrite"))
    print("server CPU per submission, ms (each term within one round, then median [min-max]):")
    print(f"  driver floor (bare driver: one INSERT + COMMIT)   {driver.show('.3f')}")
    print(f"  + the ORM floor's SQLAlchemy session and engine   {orm.show('.3f')}")
    print(f"  + Attune's own work                               {own.show('.3f')}")
    print(f"  = submission                                      {total.show('.3f')}")
    print(f"  submission beyond the driver floor                {beyond_driver.show('.3f')}")


def checks(run: Run) -> list[Check]:
    """The targets, zero errors, and no lost acknowledged write."""
    kind = run.database.kind
    fetch = spread(run, rps_ratio("questionnaire", "baseline"))
    own = spread(run, cpu_beyond("submit", "write"))
    own_target = OWN_CPU_TARGET_MS[kind]
    fetch_cpu = spread(run, cpu_ratio("questionnaire", "baseline"))
    found = [
        Check(
            f"{kind}: questionnaire >= {QUESTIONNAIRE_TARGET:.2f} x baseline",
            fetch.show(".2f", "x"),
            fetch.median >= QUESTIONNAIRE_TARGET,
        ),
        # The same target by server CPU: requests/s ratios swing with other jobs' load.
        Check(
            f"{kind}: questionnaire >= {QUESTIONNAIRE_TARGET:.2f} x baseline by server CPU",
            fetch_cpu.show(".2f", "x"),
            fetch_cpu.median >= QUESTIONNAIRE_TARGET,
        ),
        Check(
            f"{kind}: submission's own CPU beyond the ORM floor <= {own_target} ms",
            own.show(".3f", " ms"),
            own.median <= own_target,
        ),
    ]
    errors = sum(result.errors for r in run.rounds for result in r.measured.values())
    found.append(Check(f"{kind}: zero errors (all scenarios, rounds)", str(errors), errors == 0))
    for scenario in TABLES:
        acknowledged, _ = acknowledged_writes(run, scenario)
        lost = max(acknowledged - run.stored_rows[scenario], 0)
        found.append(
            Check(f"{kind}: no acknowledged {NOUNS[scenario]} lost", f"{lost} lost", lost == 0)
        )
    return found


def _results(run: Run, scenario: str) -> Iterable[Result]:
    for r in run.rounds:
        yield r.measured[scenario]
        warm = r.warmups.get(scenario)
        if warm is not None:
            yield warm


def acknowledged_writes(run: Run, scenario: str) -> tuple[int, int]:
    """(2xx responses, requests sent but never answered) of `scenario`, warm-ups included."""
    counted = list(_results(run, scenario))
    acknowledged = sum(result.status_2xx for result in counted)
    unanswered = sum(result.sent - result.status_2xx - result.status_other for result in counted)
    return acknowledged, max(unanswered, 0)


def print_durability(run: Run, scenario: str) -> None:
    """Rows in `scenario`'s table beside its 2xx answers; explain any difference."""
    acknowledged, unanswered = acknowledged_writes(run, scenario)
    rows, table = run.stored_rows[scenario], TABLES[scenario]
    noun = NOUNS[scenario]
    print(
        f"durability: {rows} rows in {table}, {acknowledged} {noun}s acknowledged with 2xx "
        "(warm-ups included)"
    )
    if rows < acknowledged:
        print(f"WARNING: {acknowledged - rows} acknowledged {noun}s are NOT stored")
    elif rows > acknowledged + unanswered:
        print(
            f"WARNING: {rows - acknowledged} more rows than 2xx answers, and only {unanswered} "
            f"{noun}s were sent without an answer: rows came from elsewhere"
        )
    elif rows > acknowledged:
        print(
            f"  {rows - acknowledged} more rows than 2xx answers: wrk dropped {unanswered} sent "
            f"{noun}s unanswered when its time ran out (at most one per connection per run); "
            f"the server stored those it had received. No acknowledged {noun} is missing."
        )


def report(run: Run, info: dict[str, Any]) -> list[Check]:
    """Print the machine, the database, the table, the costs, the targets and durability."""
    load = run.load
    print(
        f"\nmachine: nproc={info['nproc']} (usable {info['usable_cpus']}), {info['python']}, "
        f"{info['platform']}, {info['wrk']}, load average before {info['load_average_before']}"
    )
    print(f"database: {run.database.description}")
    print(
        f"wrk ({load.threads} threads, {load.connections} connections) and both servers "
        f"(1 uvicorn worker each) share these {info['usable_cpus']} cores; {len(run.rounds)} "
        f"rounds of {load.duration} s measured after {load.warmup} s warm-up per scenario\n"
    )
    print_table(run)
    print()
    print_costs(run)
    print()
    found = checks(run)
    for check in found:
        print(f"{'PASS' if check.passed else 'MISS'}  {check.name}: {check.measured}")
    for scenario in TABLES:
        print_durability(run, scenario)
    return found


def run_json(run: Run, found: list[Check]) -> dict[str, Any]:
    """The figures of one database's run, for tracking over time."""
    durability = {}
    for scenario, table in TABLES.items():
        acknowledged, unanswered = acknowledged_writes(run, scenario)
        durability[scenario] = {
            "table": table,
            "stored_rows": run.stored_rows[scenario],
            "acknowledged": acknowledged,
            "unanswered_at_cutoff": unanswered,
        }
    return {
        "database": {"kind": run.database.kind, "description": run.database.description},
        "load": vars(run.load),
        "rounds": [
            {
                "load_average": r.load_average,
                "scenarios": {name: result.to_json() for name, result in r.measured.items()},
                "server_cpu_ms_per_response": r.cpu_ms,
            }
            for r in run.rounds
        ],
        "checks": [vars(check) for check in found],
        "durability": durability,
    }


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
    kinds = KINDS if args.database == "both" else (args.database,)
    found: list[Check] = []
    runs = []
    for kind in kinds:
        print(f"\nstarting the baseline and Attune (fresh {kind} database), loading with wrk:")
        try:
            run = benchmark(wrk, load, kind, args.rounds)
        except (BenchError, OSError, subprocess.SubprocessError) as error:
            print(f"benchmark failed: {error}", file=sys.stderr)
            return 1
        these = report(run, info)
        found += these
        runs.append(run_json(run, these))
    if len(kinds) > 1:
        print("\nall targets:")
        for check in found:
            print(f"{'PASS' if check.passed else 'MISS'}  {check.name}: {check.measured}")
    if args.json:
        document = {"machine": info, "runs": runs}
        args.json.write_text(json.dumps(document, indent=2) + "\n")
        print(f"results written to {args.json}")
    return 1 if args.strict and not all(check.passed for check in found) else 0


if __name__ == "__main__":
    sys.exit(main())
