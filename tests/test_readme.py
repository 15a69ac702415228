"""The README's shell examples run as written, in order, against the real server.

Each ```sh block of the README is run by bash with `set -euo pipefail`, `localhost:8000`
pointed at a server this test starts (`attune serve` on a free port, fresh SQLite file) and
`.venv/bin/attune` at this interpreter's. A block that fails, or a request answered with
an error, fails the test, so the examples cannot rot.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.servers import running_server

ROOT = Path(__file__).resolve().parents[1]
BLOCK = re.compile(r"^```sh\n(.*?)^```", re.MULTILINE | re.DOTALL)
# The make targets are not examples of the API: they are the README's own first block.
MAKE_ONLY = re.compile(r"^(make \w+.*\n?)+$")


def shell_blocks() -> list[str]:
    """The README's ```sh blocks that talk to the API, in order."""
    blocks = BLOCK.findall((ROOT / "README.md").read_text())
    return [block for block in blocks if not MAKE_ONLY.match(block.strip() + "\n")]


def test_the_readme_examples_run_against_a_live_server(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'readme.db'}"
    env = os.environ | {"ATTUNE_DATABASE_URL": url}
    env.pop("ATTUNE_PUBLIC_URL", None)
    for step in (["migrate"], ["questionnaires", "load"]):
        done = subprocess.run([sys.executable, "-m", "app.cli", *step], env=env, check=False)
        assert done.returncode == 0
    blocks = shell_blocks()
    assert len(blocks) >= 2
    with running_server(url) as base:
        script = "\n".join(blocks)
        script = script.replace("localhost:8000", base.removeprefix("http://"))
        script = script.replace(".venv/bin/attune", f"{sys.executable} -m app.cli")
        # curl -f: an error answer fails the step instead of printing a problem document.
        script = script.replace("curl -s", "curl -sSf")
        ran = subprocess.run(
            ["/bin/bash", "-c", "set -euo pipefail\n" + script],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert '"submitted_at"' in ran.stdout  # the submit answered with a result
    # The intake link points at the server the examples ran against, not at port 8000.
    assert f'"url":"{base}/intake/ati_' in ran.stdout.replace(" ", "")
