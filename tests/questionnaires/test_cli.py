"""`attune questionnaires`: list, validate, schema and lock, run through typer's test runner."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.questionnaires.cli import questionnaires_app
from app.questionnaires.registry import DEFAULT_DIR, lock_path, read_lock

runner = CliRunner()
BUILT_IN_LOCK = read_lock(lock_path(DEFAULT_DIR))


@pytest.fixture
def definitions(tmp_path: Path) -> Path:
    """A copy of the built-in definitions without a lock file."""
    target = tmp_path / "definitions"
    shutil.copytree(DEFAULT_DIR, target)
    return target


def test_help_lists_the_commands() -> None:
    result = runner.invoke(questionnaires_app, ["--help"])
    assert result.exit_code == 0
    for command in ("list", "validate", "schema", "lock"):
        assert command in result.output


def test_list_shows_each_definition_with_its_hash() -> None:
    result = runner.invoke(questionnaires_app, ["list"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["id", "version", "validated", "locales", "hash"]
    assert lines[1].split() == [
        "connection",
        "1.0.0",
        "no",
        "en,es",
        BUILT_IN_LOCK["connection@1.0.0"][:12],
    ]
    assert len(lines) == 1 + len(BUILT_IN_LOCK)


def test_list_as_json_has_full_hashes() -> None:
    result = runner.invoke(questionnaires_app, ["list", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert {f"{r['id']}@{r['version']}": r["hash"] for r in rows} == BUILT_IN_LOCK
    assert {r["id"]: r["validated"] for r in rows}["de-jong-gierveld-6"] is True


def test_validate_checks_every_built_in_and_the_registry() -> None:
    result = runner.invoke(questionnaires_app, ["validate"])
    assert result.exit_code == 0, result.output
    assert result.output.count("ok  ") == len(BUILT_IN_LOCK) + 1
    assert f"ok  registry: {len(BUILT_IN_LOCK)} definitions" in result.output


def test_validate_reports_the_broken_file_and_exits_1(definitions: Path) -> None:
    good, broken = definitions / "connection.yaml", definitions / "window-of-tolerance.yaml"
    text = broken.read_text(encoding="utf-8")
    broken.write_text(text.replace("scale: frequency", "scale: frequncy", 1), encoding="utf-8")
    result = runner.invoke(questionnaires_app, ["validate", str(good), str(broken)])
    assert result.exit_code == 1
    assert f"ok  {good} (connection@1.0.0)" in result.stdout
    assert f"{broken}: items[0].scale: unknown response scale 'frequncy'" in result.stderr


def test_validate_without_files_checks_the_lock(definitions: Path) -> None:
    lock_path(definitions).write_text('{"connection@1.0.0": "0000"}\n', encoding="utf-8")
    result = runner.invoke(questionnaires_app, ["validate", "--dir", str(definitions)])
    assert result.exit_code == 1
    assert "bump the version" in result.stderr


def test_schema_prints_the_json_schema() -> None:
    result = runner.invoke(questionnaires_app, ["schema"])
    assert result.exit_code == 0
    assert json.loads(result.output)["title"] == "Definition"


def test_schema_writes_a_file(tmp_path: Path) -> None:
    target = tmp_path / "definition.schema.json"
    result = runner.invoke(questionnaires_app, ["schema", "--output", str(target)])
    assert result.exit_code == 0
    assert json.loads(target.read_text(encoding="utf-8"))["title"] == "Definition"


def test_lock_writes_the_same_entries_as_the_built_in_lock(definitions: Path) -> None:
    result = runner.invoke(questionnaires_app, ["lock", "--dir", str(definitions)])
    assert result.exit_code == 0, result.output
    assert read_lock(lock_path(definitions)) == BUILT_IN_LOCK
    assert lock_path(definitions).read_text(encoding="utf-8") == lock_path(DEFAULT_DIR).read_text(
        encoding="utf-8"
    )
    again = runner.invoke(questionnaires_app, ["lock", "--dir", str(definitions), "--check"])
    assert again.exit_code == 0
    assert "is current" in again.output


def test_lock_check_fails_when_an_entry_is_missing(definitions: Path) -> None:
    result = runner.invoke(questionnaires_app, ["lock", "--dir", str(definitions), "--check"])
    assert result.exit_code == 1
    assert "missing  connection@1.0.0" in result.output
    assert not lock_path(definitions).exists()


def test_lock_refuses_to_change_a_published_hash(definitions: Path) -> None:
    runner.invoke(questionnaires_app, ["lock", "--dir", str(definitions)])
    before = lock_path(definitions).read_text(encoding="utf-8")
    path = definitions / "three-item-loneliness.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("title:\n  en: Three-Item", "title:\n  en: The Three-Item"))
    result = runner.invoke(questionnaires_app, ["lock", "--dir", str(definitions)])
    assert result.exit_code == 1
    assert "three-item-loneliness@1.0.0" in result.stderr
    assert "published definitions are immutable: bump the version" in result.stderr
    assert lock_path(definitions).read_text(encoding="utf-8") == before


def test_lock_adds_a_new_version_and_keeps_the_old_entries(definitions: Path) -> None:
    runner.invoke(questionnaires_app, ["lock", "--dir", str(definitions)])
    old = definitions / "three-item-loneliness.yaml"
    text = old.read_text(encoding="utf-8").replace("version: 1.0.0", "version: 1.9.0")
    old.unlink()
    (definitions / "three-item-loneliness-1.9.0.yaml").write_text(text, encoding="utf-8")
    result = runner.invoke(questionnaires_app, ["lock", "--dir", str(definitions)])
    assert result.exit_code == 0, result.output
    assert "added  three-item-loneliness@1.9.0" in result.output
    entries = read_lock(lock_path(definitions))
    assert entries["three-item-loneliness@1.0.0"] == BUILT_IN_LOCK["three-item-loneliness@1.0.0"]
    assert len(entries) == len(BUILT_IN_LOCK) + 1
