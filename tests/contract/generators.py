"""The client generators the contract tests run, found or reported missing.

Locally a missing tool skips its test; in CI (CI=true) it fails it, because `.ci/run` installs
them from the project's own files (`make install` makes .venv/codegen; `npm ci` in
tests/contract/typescript).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TYPESCRIPT = ROOT / "tests" / "contract" / "typescript"


def require(tool: Path | str | None, why: str) -> Path:
    """The tool's path; skips (or fails in CI) when it is not there."""
    path = Path(tool) if tool else None
    if path is None or not path.exists():
        message = f"{why} is not installed"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message} (CI installs it: see .ci/run)")
        pytest.skip(message)
    return path


def python_generator() -> Path:
    """openapi-python-client in its own venv (`make install` makes it)."""
    return require(
        ROOT / ".venv" / "codegen" / "bin" / "openapi-python-client",
        "openapi-python-client (.venv/codegen, made by make install)",
    )


def node_tool(name: str) -> tuple[Path, Path]:
    """node and a tool from tests/contract/typescript/node_modules (`npm ci` there)."""
    node = require(shutil.which("node"), "node")
    tool = require(TYPESCRIPT / "node_modules" / ".bin" / name, f"{name} (npm ci)")
    return node, tool
