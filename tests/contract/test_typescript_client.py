"""openapi-typescript's types of the served document type-check a TypeScript flow.

`tests/contract/typescript/flow.ts` drives the respondent flow (and a therapist's invitation)
through openapi-fetch; `tsc --noEmit` checks it against the types generated from the real
server's `/openapi.json`. The versions are pinned in package-lock.json (`npm ci` there;
.ci/run does it): TypeScript 7 broke openapi-typescript 7, so TypeScript stays on 5.x.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import httpx

from tests.contract.generators import TYPESCRIPT, node_tool
from tests.servers import running_server


def test_the_typescript_flow_type_checks_against_the_generated_types(
    sqlite_url: str, tmp_path: Path
) -> None:
    node, generator = node_tool("openapi-typescript")
    _, tsc = node_tool("tsc")
    with running_server(sqlite_url) as base:
        (tmp_path / "openapi.json").write_bytes(httpx.get(f"{base}/openapi.json").content)
    for name in ("flow.ts", "tsconfig.json"):
        shutil.copy(TYPESCRIPT / name, tmp_path / name)
    (tmp_path / "node_modules").symlink_to(TYPESCRIPT / "node_modules")
    (tmp_path / "generated").mkdir()
    generated = subprocess.run(
        [str(node), str(generator), "openapi.json", "-o", "generated/attune.d.ts"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert generated.returncode == 0, generated.stdout + generated.stderr
    checked = subprocess.run(
        [str(node), str(tsc), "--noEmit", "-p", "."],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
