"""The research export at scale: API and CLI against PostgreSQL's own COPY of the same rows.

Usage (from the repository root; `make bench-export` runs the first line):
  .venv/bin/python bench/export.py                 # 1,000,000 scored assessments, CSV
  .venv/bin/python bench/export.py --rows 100000 --rounds 1   # a quicker run
  make bench-export BENCH_EXPORT_ARGS="--rows 100000"         # the same through make
  .venv/bin/python bench/export.py --help          # what is measured, all options

Needs the app installed in .venv (`make install`), psql, and PostgreSQL on 127.0.0.1:5432
that user postgres reaches without a password, with a database `test` to connect to and the
right to CREATE DATABASE (and CREATE EXTENSION pgcrypto, for the floor's HMAC).

Helpers: `exportseed.py` (bulk seeding), `exportfloor.py` (the COPY floor's SQL),
`exportruns.py` (the three timed exports), `servers.py`, `databases.py`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from databases import PG_HOST, PG_PORT, PG_USER, Database, fresh_database, psql
from exportfloor import app_sql, floor_sql, from_where
from exportruns import RssSampler, Timing, api_export, cli_export, copy_floor, status_kb
from exportseed import QUESTIONNAIRE, Seeded, seed
from servers import HOST, BenchError, Server, free_port, stop_server, wait_ready

from app.questionnaires.registry import Registry

TIMES = 2.0  # API and CLI, wall time and CPU time, each at most this many times the floor's
MEMORY_MB = 250.0
EXPORT_PATH = "/v1/research/export"
ORGANIZATIONS = ("Bench Clinic", "Other Clinic")

HELP = f"""\
On a fresh PostgreSQL database (created through `test` as user postgres, migrated, loaded,
dropped at the end unless --keep-db):
  1. seeds --rows scored assessments of {QUESTIONNAIRE}, --per-person a person, every person a
     client of a therapist, in bulk (INSERT … SELECT generate_series in PostgreSQL; see
     bench/exportseed.py for which rows are exportable), then VACUUM (ANALYZE); prints the
     seeding time and rows/s, and checks 1000 stored results with `attune rescore`;
  2. starts `attune serve` (one worker, ATTUNE_ENVIRONMENT=production with a random secret)
     and a researcher's token; then, --rounds times on the same seed, times, reading every
     byte and counting rows:
       COPY  psql: COPY (SELECT … the export's rows and columns …) TO STDOUT - the floor
             of that round
       API   GET {EXPORT_PATH}?questionnaire={QUESTIONNAIRE}&format=… (httpx, streamed)
       CLI   attune export --organization-id … --questionnaire … --format … --output FILE
     then, as a diagnostic (not a target), the export's own SELECT through COPY ("app SQL":
     its raw columns, no pseudonyms, no CSV made in Python), to split the API's time
     into the query's and the app's;
  3. prints rows, seconds, rows/s, MB, time to the first byte, CPU seconds (app server,
     client, PostgreSQL) and the load average per run; per round API/COPY and CLI/COPY in
     wall time and in CPU seconds (all processes), each against that round's COPY; the
     median and min-max over the rounds; the server's memory (RSS before, during and after
     the API exports; its peak, VmHWM, includes the login's argon2id hash); and PASS/MISS:
       API and CLI each within {TIMES:.1f}x of COPY in wall time and in CPU time (medians),
       peak server memory (VmHWM) at most {MEMORY_MB:.0f} MB,
       every run returns exactly the exportable rows.
Everything shares this machine's cores; compare ratios across machines, not seconds.
A part that does not exist yet (the endpoint or the CLI command) is reported as missing.
Exit status: 0 when it ran (even with a MISS), 1 if the run itself failed."""


@dataclass
class Setup:
    """The people the benchmark logs in as and seeds under."""

    organizations: tuple[str, str]
    therapists: tuple[str, str]
    researcher: str
    password: str


@dataclass
class Report:
    """Everything one run measured."""

    database: Database
    seeded: Seeded | None = None
    rescore: str = ""
    expected: int = 0
    timings: list[Timing] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    server_kb: dict[str, int] = field(default_factory=dict)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """--rows, --per-person, --format, --keep-db."""
    parser = argparse.ArgumentParser(
        prog="bench/export.py",
        description=HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add = parser.add_argument
    add("--rows", type=int, default=1_000_000, help="scored assessments to seed (1,000,000)")
    add("--per-person", type=int, default=5, help="assessments per person (5)")
    add("--format", choices=("csv", "jsonl"), default="csv", help="export format (csv)")
    add("--rounds", type=int, default=3, help="COPY, API, CLI rounds on the same seed (3)")
    add("--keep-db", action="store_true", help="keep the database (prints its URL)")
    args = parser.parse_args(argv)
    if args.rows < 1 or args.per_person < 1 or args.rounds < 1:
        parser.error("--rows, --per-person and --rounds must be >= 1")
    return args


def attune_bin() -> str:
    """This venv's `attune` script."""
    attune = Path(sys.executable).with_name("attune")
    if not attune.exists():
        raise BenchError(f"{attune} not found: run `make install` (the app installs it)")
    return str(attune)


def attune(args: list[str], env: dict[str, str], stdin: str = "") -> str:
    """Run an `attune` subcommand; its output, or BenchError with it."""
    done = subprocess.run(
        [attune_bin(), *args], env=env, input=stdin, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise BenchError(f"attune {' '.join(args[:2])} failed:\n{done.stdout}{done.stderr}")
    return done.stdout.strip()


def app_env(database: Database) -> dict[str, str]:
    """Production settings on the bench database, with a random secret for this run."""
    return {
        **os.environ,
        "ATTUNE_DATABASE_URL": database.url,
        "ATTUNE_ENVIRONMENT": "production",
        "ATTUNE_SECRET_KEY": secrets.token_urlsafe(48),
        "ATTUNE_PUBLIC_URL": "https://attune.bench.example",  # production requires one
    }


def create_user(
    env: dict[str, str], email: str, role: str, organization: str, password: str
) -> str:
    """`attune users create` (the organization is made on first use); the new user's id."""
    args = ["users", "create", "--email", email, "--role", role]
    output = attune(
        [*args, "--organization", organization, "--password-stdin"], env, password + "\n"
    )
    return output.splitlines()[-1]


def organization_of(database: Database, user_id: str) -> str:
    """The organization id of a user, read with psql."""
    sql = f"SELECT organization_id FROM users WHERE id = '{user_id}'"  # noqa: S608 (our own id)
    return psql(database.name, sql)


def prepare(database: Database, env: dict[str, str]) -> Setup:
    """Migrate, load, pgcrypto (for the floor), and the staff of two organizations."""
    attune(["migrate"], env)
    attune(["questionnaires", "load"], env)
    psql(database.name, "CREATE EXTENSION IF NOT EXISTS pgcrypto")
    password = "bench-" + secrets.token_hex(12)
    researcher = "researcher@bench.example"
    create_user(env, researcher, "researcher", ORGANIZATIONS[0], password)
    main_therapist = create_user(
        env, "therapist@bench.example", "therapist", ORGANIZATIONS[0], password
    )
    other_therapist = create_user(
        env, "therapist@other.example", "therapist", ORGANIZATIONS[1], password
    )
    organizations = (
        organization_of(database, main_therapist),
        organization_of(database, other_therapist),
    )
    return Setup(organizations, (main_therapist, other_therapist), researcher, password)


def seed_database(
    report: Report, setup: Setup, args: argparse.Namespace, env: dict[str, str]
) -> None:
    """Seed, print how fast, and check stored results against the scoring engine."""
    database = report.database
    dsn = f"postgresql://{PG_USER}@{PG_HOST}:{PG_PORT}/{database.name}"
    print(f"seeding {args.rows:,} scored assessments ({args.per_person} a person)...")
    report.seeded = asyncio.run(
        seed(dsn, args.rows, args.per_person, setup.organizations, setup.therapists)
    )
    print_seeding(report.seeded)
    report.rescore = attune(["rescore", "--limit", "1000"], env)
    print(f"check: attune rescore --limit 1000: {report.rescore.splitlines()[-1]}")
    definition = Registry.load().get(QUESTIONNAIRE)
    where = from_where(definition, setup.organizations[0])
    report.expected = int(psql(database.name, f"SELECT count(*) {where}"))
    print(f"exportable rows (main organization, consented then and now): {report.expected:,}")


def print_seeding(seeded: Seeded) -> None:
    """Each step's rows and seconds, and the whole in rows/s."""
    counts = {
        "respondents": seeded.people,
        "clients": seeded.people,
        "assessments": seeded.assessments,
        "results": seeded.assessments,
    }
    for step, seconds in seeded.seconds.items():
        rows = counts.get(step)
        rate = f"{rows:>10,} rows {rows / seconds:>10,.0f} rows/s" if rows else " " * 32
        print(f"  {step:<15} {rate} {seconds:>7.2f} s")
    total = seeded.total_seconds
    print(
        f"  seeded {seeded.rows_written:,} rows in {total:.1f} s: "
        f"{seeded.rows_written / total:,.0f} rows/s ({seeded.assessments / total:,.0f} "
        "scored assessments/s, vacuum and analyze included)"
    )


def start_attune(env: dict[str, str], work: Path) -> Server:
    """`attune serve` with one worker on a free port; its output goes to a log file."""
    port = free_port()
    log_path = work / "attune-serve.log"
    log = log_path.open("w")
    command = [attune_bin(), "serve", "--host", HOST, "--port", str(port), "--workers", "1"]
    process = subprocess.Popen(
        command, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
    )
    server = Server(name="attune serve", port=port, process=process, log_path=log_path, log=log)
    wait_ready(server, "/healthz")
    return server


def login(server: Server, setup: Setup) -> str:
    """A researcher's bearer token from POST /v1/auth/token."""
    form = urllib.parse.urlencode({"username": setup.researcher, "password": setup.password})
    request = urllib.request.Request(  # noqa: S310 (loopback)
        server.base_url + "/v1/auth/token", data=form.encode(), method="POST"
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (loopback)
        return str(json.loads(response.read())["access_token"])


def endpoint_exists(server: Server) -> bool:
    """Whether the running app's OpenAPI document lists the export endpoint."""
    url = server.base_url + "/openapi.json"
    try:
        with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 (loopback)
            return EXPORT_PATH in json.loads(response.read()).get("paths", {})
    except (urllib.error.URLError, ValueError):
        return False


def cli_exists(env: dict[str, str]) -> bool:
    """Whether `attune export --help` works."""
    done = subprocess.run(
        [attune_bin(), "export", "--help"], env=env, capture_output=True, check=False
    )
    return done.returncode == 0


def psql_command(database: Database) -> list[str]:
    """psql on the bench database, quiet, stopping at the first error."""
    command = ["psql", "-X", "-q", "-h", PG_HOST, "-p", str(PG_PORT), "-U", PG_USER]
    return [*command, "-d", database.name, "-v", "ON_ERROR_STOP=1"]


def floor(report: Report, setup: Setup, fmt: str, label: str) -> None:
    """Time the COPY floor once and record it as `label`."""
    sql = floor_sql(Registry.load().get(QUESTIONNAIRE), setup.organizations[0], fmt)
    timing = copy_floor(psql_command(report.database), sql, fmt, report.database.name)
    timing.name = label
    report.timings.append(timing)
    print(f"  {label}: {timing.rows:,} rows in {timing.seconds:.2f} s")


def app_query(report: Report, setup: Setup) -> None:
    """Time the app's own SELECT through COPY (a diagnostic, not the floor)."""
    sql = app_sql(Registry.load().get(QUESTIONNAIRE), setup.organizations[0])
    if sql is None:
        print("  app SQL: not available (no app.research.service.export_statement)")
        return
    timing = copy_floor(psql_command(report.database), sql, "csv", report.database.name)
    timing.name = "app SQL"
    report.timings.append(timing)
    print(f"  app SQL: {timing.rows:,} rows in {timing.seconds:.2f} s")


def params(fmt: str) -> dict[str, str]:
    """The export's query: the whole questionnaire, every period, no item answers."""
    return {"questionnaire": QUESTIONNAIRE, "format": fmt}


def through_api(report: Report, server: Server, token: str, fmt: str, label: str) -> None:
    """Time the API export; the server's memory before and during it."""
    pid = server.process.pid
    if "rss before" not in report.server_kb:
        report.server_kb["rss before"] = status_kb(pid, "VmRSS")
        report.server_kb["peak before"] = status_kb(pid, "VmHWM")
    sampler = RssSampler(pid)
    with sampler.running():
        timing = api_export(server.base_url, params(fmt), token, pid, fmt, report.database.name)
    timing.name = label
    during = report.server_kb.get("rss during", 0)
    report.server_kb["rss during"] = max(during, sampler.peak_kb)
    report.server_kb["rss after"] = status_kb(pid, "VmRSS")
    report.timings.append(timing)
    print(f"  {label}: {timing.rows:,} rows in {timing.seconds:.2f} s")


def through_cli(
    report: Report, setup: Setup, env: dict[str, str], fmt: str, work: Path, label: str
) -> None:
    """Time `attune export`."""
    args = ["--organization-id", setup.organizations[0], "--questionnaire", QUESTIONNAIRE]
    output = work / f"export.{fmt}"
    timing = cli_export(attune_bin(), [*args, "--format", fmt], output, env, report.database.name)
    timing.name = label
    report.timings.append(timing)
    print(f"  {label}: {timing.rows:,} rows in {timing.seconds:.2f} s")


def exports(
    report: Report, setup: Setup, env: dict[str, str], args: argparse.Namespace, work: Path
) -> None:
    """Rounds of COPY, API, CLI on the same seed, with `attune serve` running throughout;
    then the app's SELECT through COPY, once."""
    fmt = args.format
    print(f"exporting: {args.rounds} round(s) of COPY floor, API, CLI; then the app's SELECT...")
    server = start_attune(env, work)
    try:
        api = endpoint_exists(server)
        cli = cli_exists(env)
        if not api:
            report.missing.append(f"GET {EXPORT_PATH} (not in /openapi.json)")
        if not cli:
            report.missing.append("attune export (no such command)")
        token = login(server, setup) if api else ""  # argon2id: its 64 MiB is in VmHWM
        for n in range(1, args.rounds + 1):
            floor(report, setup, fmt, f"COPY {n}")
            if api:
                through_api(report, server, token, fmt, f"API {n}")
            if cli:
                through_cli(report, setup, env, fmt, work, f"CLI {n}")
        app_query(report, setup)
        report.server_kb["peak"] = status_kb(server.process.pid, "VmHWM")
    finally:
        stop_server(server)


def mb(kb: int) -> float:
    """kB to MB (MiB, as /proc counts)."""
    return kb / 1024


def round_of(timing: Timing) -> int:
    """The round a run belongs to (0 for the app SQL diagnostic)."""
    label = timing.name.rsplit(" ", 1)[-1]
    return int(label) if label.isdigit() else 0


@dataclass(frozen=True)
class Ratio:
    """One export run against the COPY floor of its own round."""

    name: str
    wall: float
    cpu: float
    load: float


def ratios(report: Report, kind: str) -> list[Ratio]:
    """`kind` (API or CLI) in each round, wall and CPU seconds over that round's COPY."""
    floors = {round_of(t): t for t in report.timings if t.name.startswith("COPY")}
    found = []
    for t in report.timings:
        copy = floors.get(round_of(t))
        if t.name.startswith(kind + " ") and copy is not None:
            cpu = sum(t.cpu.values()) / sum(copy.cpu.values())
            found.append(Ratio(t.name, t.seconds / copy.seconds, cpu, max(t.load, copy.load)))
    return found


def spread(values: list[float]) -> str:
    """median (min-max)"""
    return f"{statistics.median(values):.2f}x ({min(values):.2f}-{max(values):.2f}x)"


def print_table(report: Report) -> None:
    """One line per run: rows, seconds, rows/s, MB, first byte, CPU seconds, load."""
    header = (
        f"{'run':<8} {'rows':>9} {'seconds':>8} {'rows/s':>8} {'MB':>6} {'1st byte':>8}  "
        f"{'CPU s: app':>10} {'client':>6} {'postgres':>8} {'load':>5}"
    )
    print(header)
    print("-" * len(header))
    for t in report.timings:
        app = f"{t.cpu['server']:>10.1f}" if "server" in t.cpu else f"{'-':>10}"
        first = f"{t.first_byte:>7.2f}s" if t.first_byte else f"{'-':>8}"
        print(
            f"{t.name:<8} {t.rows:>9,} {t.seconds:>8.2f} {t.rows_per_second:>8,.0f} "
            f"{t.size / 1e6:>6.1f} {first}  {app} {t.cpu['client']:>6.1f} "
            f"{t.cpu['postgres']:>8.1f} {t.load:>5.1f}"
        )
    print(
        "MB: bytes read (1e6). CPU s: CPU seconds during the run of the app server, the client\n"
        "(the reading thread of this process, the CLI, psql) and PostgreSQL (the bench\n"
        "database's backends and parallel workers, sampled every 100 ms). load: 1-minute load\n"
        f"average at the end, on {os.cpu_count()} CPUs. COPY: the floor. app SQL: the export's\n"
        "own SELECT through COPY (raw columns: no pseudonyms, no CSV made in Python), not a target."
    )


def print_memory(report: Report) -> None:
    """The server's memory around the API export, and the CLI's peak."""
    kb = report.server_kb
    if "rss before" in kb:
        print(
            f"server memory: RSS {mb(kb['rss before']):.0f} MB before the API export "
            f"(peak so far {mb(kb['peak before']):.0f} MB, login's argon2id included), "
            f"{mb(kb['rss during']):.0f} MB at most during it (sampled every 50 ms), "
            f"{mb(kb['rss after']):.0f} MB after"
        )
    print(f"peak server memory (VmHWM of `attune serve`): {mb(kb.get('peak', 0)):.0f} MB")
    for t in report.timings:
        if t.peak_rss_mb is not None:
            print(f"peak CLI memory (`attune export`, not a target): {t.peak_rss_mb:.0f} MB")


def checks(report: Report) -> list[tuple[bool, str]]:
    """(passed, what) for every target; a missing part is a MISS, said so."""
    found: list[tuple[bool, str]] = []
    for kind in ("API", "CLI"):
        measured = ratios(report, kind)
        for what in ("wall", "cpu"):
            label = f"{kind} {'wall time' if what == 'wall' else 'CPU time'} <= {TIMES:.1f}x COPY"
            if not measured:
                found.append((False, f"{label}: not measured (missing)"))
                continue
            values = [getattr(r, what) for r in measured]
            median = statistics.median(values)
            rounds = f"median of {len(values)} round(s)"
            found.append((median <= TIMES, f"{label}: {spread(values)}, {rounds}"))
    peak = mb(report.server_kb.get("peak", 0))
    measured_api = bool(ratios(report, "API"))
    what = f"{peak:.0f} MB" if measured_api else f"{peak:.0f} MB idle, no export served (missing)"
    memory = f"peak server memory <= {MEMORY_MB:.0f} MB: {what}"
    found.append((measured_api and peak <= MEMORY_MB, memory))
    wrong = ", ".join(f"{t.name} {t.rows:,}" for t in report.timings if t.rows != report.expected)
    rows = f"expected {report.expected:,}, got {wrong}" if wrong else f"all {report.expected:,}"
    found.append((not wrong, f"every run returns exactly the exportable rows: {rows}"))
    return found


def print_report(report: Report, args: argparse.Namespace) -> None:
    """The table, the ratios per round and their spread, memory and the targets."""
    print(f"\ndatabase: {report.database.description}")
    print(f"format: {args.format}; exportable rows: {report.expected:,}\n")
    print_table(report)
    print("\nagainst the COPY floor of the same round (CPU: seconds of all processes):")
    for kind in ("API", "CLI"):
        for r in ratios(report, kind):
            print(f"  {r.name:<6} wall {r.wall:.2f}x   CPU {r.cpu:.2f}x   load {r.load:.1f}")
    for kind in ("API", "CLI"):
        measured = ratios(report, kind)
        if measured:
            wall, cpu = spread([r.wall for r in measured]), spread([r.cpu for r in measured])
            print(f"  {kind} median (min-max): wall {wall}, CPU {cpu}")
    loads = [t.load for t in report.timings]
    print(f"  load average (1 min) during the runs: {min(loads):.1f}-{max(loads):.1f}")
    print_memory(report)
    for passed, what in checks(report):
        print(f"{'PASS' if passed else 'MISS'}  {what}")
    for missing in report.missing:
        print(f"MISSING: {missing}")


def exit_on_signal(signum: int, _frame: object) -> None:
    """SIGTERM/SIGHUP end the run through the normal exit path: server stopped, db dropped."""
    raise SystemExit(128 + signum)


def run(args: argparse.Namespace) -> None:
    """Create, seed, export, report; the database is dropped unless --keep-db."""
    with (
        tempfile.TemporaryDirectory(prefix="attune-bench-export-") as tmp,
        fresh_database("postgresql", Path(tmp), keep=args.keep_db) as database,
    ):
        load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
        print(f"machine: {os.cpu_count()} CPUs, load average {load} before the run")
        print(f"database: {database.description}")
        report = Report(database)
        env = app_env(database)
        setup = prepare(database, env)
        started = time.perf_counter()
        seed_database(report, setup, args, env)
        exports(report, setup, env, args, Path(tmp))
        print_report(report, args)
        print(f"(whole run after setup: {time.perf_counter() - started:.0f} s)")
        if args.keep_db:
            print(f"kept database {database.name}: ATTUNE_DATABASE_URL={database.url}")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; see HELP for the exit status."""
    args = parse_args(argv)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, exit_on_signal)
    try:
        run(args)
    except (BenchError, OSError, subprocess.SubprocessError) as error:
        print(f"benchmark failed: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
