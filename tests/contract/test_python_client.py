"""A Python client generated from the served document runs the whole respondent flow.

The document comes from the real server (`attune serve`), the client from
openapi-python-client, mypy checks `flows/respondent_flow.py` against the generated types, and
the flow then runs against the same server. A contract change that breaks generated clients
fails here.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx

from tests.contract.generators import ROOT, python_generator
from tests.servers import running_server

FLOW = ROOT / "tests" / "contract" / "flows" / "respondent_flow.py"
CONFIG = (
    "post_hooks: []\nproject_name_override: attune-client\npackage_name_override: attune_client\n"
)


def generate(document: bytes, where: Path) -> Path:
    """Generate the client package into `where`; the folder to put on the path."""
    (where / "openapi.json").write_bytes(document)
    (where / "config.yaml").write_text(CONFIG)
    generated = subprocess.run(
        [
            str(python_generator()),
            "generate",
            "--path",
            str(where / "openapi.json"),
            "--meta",
            "none",
            "--output-path",
            str(where / "attune_client"),
            "--config",
            str(where / "config.yaml"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert generated.returncode == 0, generated.stdout + generated.stderr
    # The generator prints "Warning(s)" for any schema it could not turn into a type.
    assert "Warning" not in generated.stdout + generated.stderr, generated.stdout
    # Loose spots show up as classes named after a field (`…_type_0`) or FastAPI's `Body_…`.
    models = {path.stem for path in (where / "attune_client" / "models").glob("*.py")}
    assert not {m for m in models if "type_0" in m or m.startswith("body_")}, sorted(models)
    return where


def test_the_generated_python_client_runs_the_respondent_flow(
    sqlite_url: str, tmp_path: Path
) -> None:
    with running_server(sqlite_url) as base:
        package = generate(httpx.get(f"{base}/openapi.json").content, tmp_path)
        env = os.environ | {"PYTHONPATH": str(package), "MYPYPATH": str(package)}
        typed = subprocess.run(
            [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(FLOW)],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            check=False,
        )
        assert typed.returncode == 0, typed.stdout + typed.stderr
        ran = subprocess.run(
            [sys.executable, str(FLOW), base],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "respondent flow ok" in ran.stdout
