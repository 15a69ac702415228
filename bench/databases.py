"""The database a benchmark run uses: a fresh SQLite file or a fresh PostgreSQL database.

sqlite      a file in the run's temporary directory (Attune's engine sets WAL on it).
postgresql  `CREATE DATABASE attune_bench_<pid>` through psql on the local server, as user
            postgres, connecting to the existing database `test`; dropped at the end, however
            the run ends. Needs `psql` on PATH and password-less access (trust or ~/.pgpass).

Rows are counted outside the app's driver stack: with the sqlite3 module, or with psql.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from servers import BenchError

KINDS = ("sqlite", "postgresql")
PG_HOST = "127.0.0.1"
PG_PORT = 5432
PG_USER = "postgres"
PG_ADMIN_DATABASE = "test"


@dataclass(frozen=True)
class Database:
    """One fresh database: its kind, its name (file or database), its async SQLAlchemy URL."""

    kind: str
    name: str
    url: str
    description: str


def psql(database: str, sql: str) -> str:
    """Run one SQL command with psql on the local server; its unaligned, tuples-only output."""
    if shutil.which("psql") is None:
        raise BenchError("psql not found: install it with `apt-get install -y postgresql-client`")
    command = ["psql", "-X", "-h", PG_HOST, "-p", str(PG_PORT), "-U", PG_USER, "-d", database]
    done = subprocess.run(
        [*command, "-v", "ON_ERROR_STOP=1", "-tAc", sql],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env={**os.environ, "PGCONNECT_TIMEOUT": "10"},
    )
    if done.returncode != 0:
        raise BenchError(f"psql -d {database} -c {sql!r} failed:\n{done.stdout}{done.stderr}")
    return done.stdout.strip()


def postgresql_description(name: str) -> str:
    """Server version and the settings that decide whether a commit is durable."""
    version, fsync, synchronous = psql(
        name,
        "SELECT current_setting('server_version'), current_setting('fsync'), "
        "current_setting('synchronous_commit')",
    ).split("|")
    return (
        f"PostgreSQL {version} on {PG_HOST}:{PG_PORT}, fresh database {name} "
        f"(fsync={fsync}, synchronous_commit={synchronous})"
    )


@contextmanager
def fresh_database(kind: str, work: Path, keep: bool = False) -> Iterator[Database]:
    """A new, empty database of `kind`; a PostgreSQL one is dropped on the way out unless
    `keep` (to look at it afterwards)."""
    if kind == "sqlite":
        path = work / "attune-bench.db"
        description = f"SQLite {sqlite3.sqlite_version}, fresh file {path} (WAL)"
        yield Database(kind, str(path), f"sqlite+aiosqlite:///{path}", description)
        return
    if kind != "postgresql":
        raise BenchError(f"unknown database {kind!r}: choose one of {', '.join(KINDS)}")
    name = f"attune_bench_{os.getpid()}"
    psql(PG_ADMIN_DATABASE, f"CREATE DATABASE {name}")
    try:
        url = f"postgresql+asyncpg://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"
        yield Database(kind, name, url, postgresql_description(name))
    finally:
        if not keep:
            drop_database(name)


def drop_database(name: str) -> None:
    """DROP DATABASE, closing any connection left behind; warn rather than mask an error."""
    try:
        psql(PG_ADMIN_DATABASE, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    except (BenchError, OSError, subprocess.SubprocessError) as error:
        print(f"WARNING: could not drop database {name}: {error}", file=sys.stderr)


def count_rows(database: Database, table: str) -> int:
    """Rows in `table`, read with the sqlite3 module or psql, not through the app's drivers."""
    if database.kind == "postgresql":
        return int(psql(database.name, f"SELECT count(*) FROM {table}"))  # noqa: S608
    connection = sqlite3.connect(database.name)
    try:
        (count,) = connection.execute(f"SELECT count(*) FROM {table}").fetchone()  # noqa: S608
        return int(count)
    finally:
        connection.close()
