"""The built-in definitions, concepts and support content; the registry and its lock file."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.questionnaires.content import Concepts, Support
from app.questionnaires.model import CONCEPT_IDS, Definition
from app.questionnaires.registry import (
    DEFAULT_CONCEPTS,
    DEFAULT_DIR,
    DEFAULT_SUPPORT,
    IMMUTABLE,
    DefinitionLoadError,
    PublishedDefinitionChanged,
    Registry,
    UnknownQuestionnaire,
    UnknownVersion,
    definition_files,
    load_definition,
    lock_path,
    read_lock,
)

BUILT_IN = ["connection", "de-jong-gierveld-6", "three-item-loneliness", "window-of-tolerance"]
FILES = definition_files(DEFAULT_DIR)


@pytest.fixture(scope="module")
def registry() -> Registry:
    """The built-in registry, loaded as the app loads it."""
    return Registry.load()


@pytest.fixture
def definitions_copy(tmp_path: Path) -> Path:
    """A writable copy of the built-in definitions directory and its lock file."""
    target = tmp_path / "definitions"
    shutil.copytree(DEFAULT_DIR, target)
    shutil.copy(lock_path(DEFAULT_DIR), lock_path(target))
    return target


def edit(path: Path, old: str, new: str) -> None:
    """Replace one exact piece of a file's text (failing if it is not there exactly once)."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} is not in {path.name} exactly once"
    path.write_text(text.replace(old, new), encoding="utf-8")


def strings(value: Any) -> Iterator[str]:
    """Every string inside a dumped model, recursively."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)


def feedback_texts(registry: Registry, locale: str) -> Iterator[tuple[str, str]]:
    """``(where, text)`` for every part of every feedback message in one locale."""
    for definition in registry.all():
        for key, message in definition.feedback.items():
            for part in ("text", "why", "helps"):
                text = getattr(message, part)
                if text is not None and locale in text:
                    yield f"{definition.key} feedback.{key}.{part}", text[locale]


# --- every built-in loads, and the lock file holds it -----------------------------------------


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_every_built_in_definition_loads(path: Path) -> None:
    definition = load_definition(path)
    # The first version is named by id; later ones carry their version (id-1.1.0.yaml).
    assert path.stem in (definition.id, f"{definition.id}-{definition.version}")


def test_the_built_in_questionnaires_are_these(registry: Registry) -> None:
    assert [d.id for d in registry.latest()] == BUILT_IN


def test_published_definitions_are_immutable() -> None:
    """Each built-in id@version is in the lock file with its current hash: else bump the version."""
    lock = read_lock(lock_path(DEFAULT_DIR))
    for path in FILES:
        definition = load_definition(path)
        assert definition.key in lock, (
            f"{definition.key} is not in definitions.lock: run `attune questionnaires lock`"
        )
        assert lock[definition.key] == definition.content_hash(), (
            f"{path.name} changed but {definition.key} is already published: {IMMUTABLE}"
        )


def test_lock_file_is_sorted_indented_json() -> None:
    text = lock_path(DEFAULT_DIR).read_text(encoding="utf-8")
    entries = json.loads(text)
    assert list(entries) == sorted(entries)
    assert text == json.dumps(entries, indent=2, sort_keys=True) + "\n"


def test_a_changed_definition_with_the_same_version_is_refused(definitions_copy: Path) -> None:
    edit(
        definitions_copy / "connection.yaml",
        "en: Keep tending these bonds. They are part of how your body stays steady.",
        "en: Keep tending these bonds.",
    )
    with pytest.raises(PublishedDefinitionChanged, match="bump the version") as caught:
        Registry.load(definitions_copy)
    assert "connection.yaml" in str(caught.value)
    assert "connection@1.0.0" in str(caught.value)


def test_a_changed_definition_under_new_versions_loads(definitions_copy: Path) -> None:
    original = (definitions_copy / "connection.yaml").read_text(encoding="utf-8")
    for version in ("1.9.0", "1.10.0"):
        changed = original.replace("version: 1.0.0", f"version: {version}")
        (definitions_copy / f"connection-{version}.yaml").unlink(missing_ok=True)
        changed = changed.replace("title:\n  en: Connection", "title:\n  en: Connection (new)")
        (definitions_copy / f"connection-{version}.yaml").write_text(changed, encoding="utf-8")
    registry = Registry.load(definitions_copy)
    assert registry.versions("connection") == ["1.0.0", "1.1.0", "1.9.0", "1.10.0"]
    assert registry.get("connection").version == "1.10.0"  # semver, not string order
    assert registry.get("connection", "1.0.0").title["en"] == "Connection"
    assert registry.latest()[0].key == "connection@1.10.0"


def test_the_same_id_and_version_in_two_files_is_refused(definitions_copy: Path) -> None:
    shutil.copy(definitions_copy / "connection.yaml", definitions_copy / "zz-copy.yaml")
    with pytest.raises(DefinitionLoadError, match=r"already defined in connection\.yaml") as caught:
        Registry.load(definitions_copy)
    assert caught.value.file.name == "zz-copy.yaml"


# --- load errors name the file, the path inside it and the problem ----------------------------


def test_a_field_error_names_file_and_path(definitions_copy: Path) -> None:
    path = definitions_copy / "connection.yaml"
    edit(
        path,
        "{id: moderate, min: 5, max: 8, feedback: isolation-moderate,",
        "{id: moderate, min: five, max: 8, feedback: isolation-moderate,",
    )
    with pytest.raises(DefinitionLoadError) as caught:
        load_definition(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: scales[1].bands[1].min: ")
    assert "valid number" in message


def test_a_cross_check_error_names_its_path(definitions_copy: Path) -> None:
    path = definitions_copy / "window-of-tolerance.yaml"
    edit(
        path,
        "{id: high, min: 11, max: 16, feedback: ventral-high,",
        "{id: high, min: 12, max: 16, feedback: ventral-high,",
    )
    with pytest.raises(DefinitionLoadError) as caught:
        load_definition(path)
    assert caught.value.problems == [
        "scales[2].bands: band high starts at 12.0; after moderate (which ends at 10.0) "
        "the next band must start at 11"
    ]


def test_a_condition_error_points_into_the_condition(definitions_copy: Path) -> None:
    path = definitions_copy / "connection.yaml"
    edit(
        path,
        "        - {scale: co-regulation, band: [low]}",
        "        - {scale: co-regulation, band: low}",
    )
    edit(path, "    when: {always: true}", "    when: sometimes")
    with pytest.raises(DefinitionLoadError) as caught:
        load_definition(path)
    not_a_condition, not_a_list = caught.value.problems
    assert not_a_condition.startswith("profiles[5].when: not a condition: use all, any, not")
    assert not_a_list == "flags[0].when.all[2].band: Input should be a valid list"


def test_a_dangling_reference_is_a_load_error_not_a_crash(definitions_copy: Path) -> None:
    path = definitions_copy / "three-item-loneliness.yaml"
    edit(
        path,
        "items: [lack-companionship, left-out, isolated]",
        "items: [lack-companionship, left-out, isolated, lonely]",
    )
    with pytest.raises(DefinitionLoadError) as caught:
        load_definition(path)
    assert caught.value.problems == ["scales[0].items: unknown item 'lonely'"]


def test_a_yaml_syntax_error_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("id: broken\nitems: [a, b\nscales: []\n", encoding="utf-8")
    with pytest.raises(DefinitionLoadError, match=r"broken\.yaml: line \d+, column \d+: "):
        load_definition(path)


def test_a_duplicate_yaml_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "twice.yaml"
    path.write_text("id: one\nversion: 1.0.0\nid: two\n", encoding="utf-8")
    with pytest.raises(DefinitionLoadError, match="line 3, column 1: duplicate key 'id'"):
        load_definition(path)


def test_a_file_that_is_not_a_mapping_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "list.yaml"
    path.write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(DefinitionLoadError, match="must hold a mapping"):
        load_definition(path)


def test_every_declared_locale_needs_every_text(definitions_copy: Path) -> None:
    path = definitions_copy / "window-of-tolerance.yaml"
    edit(path, "      es: Sentí mi cuerpo tranquilo y en calma.\n", "")
    with pytest.raises(DefinitionLoadError, match=r"items\[8\]\.text: no text for locale\(s\) es"):
        load_definition(path)


def test_the_json_schema_of_the_format_is_generated() -> None:
    schema = Definition.model_json_schema(by_alias=True)
    assert {"id", "version", "items", "scales", "profiles", "flags"} <= set(schema["properties"])
    assert "not" in schema["$defs"]["Not"]["properties"]
    json.dumps(schema)


# --- registry lookups -------------------------------------------------------------------------


def test_registry_lookups(registry: Registry) -> None:
    definition = registry.get("connection")
    assert registry.versions("connection") == ["1.0.0", "1.1.0"]
    assert registry.get("connection", "1.1.0") is definition
    assert registry.get("connection", "1.0.0").version == "1.0.0"
    assert sorted(d.key for d in registry.all()) == sorted(read_lock(lock_path(DEFAULT_DIR)))
    assert registry.hash(definition) == definition.content_hash()
    copy = definition.model_copy()
    assert registry.hash(copy) == definition.content_hash()


def test_unknown_questionnaire_and_version(registry: Registry) -> None:
    with pytest.raises(UnknownQuestionnaire, match="no questionnaire 'nope'; known: connection"):
        registry.get("nope")
    with pytest.raises(UnknownVersion, match=r"has no version '9\.9\.9'; versions: 1\.0\.0"):
        registry.get("connection", "9.9.9")
    with pytest.raises(LookupError):
        registry.versions("nope")


# --- the content: concepts, licences, language ------------------------------------------------


def test_concepts_and_support_load_in_english_and_spanish(registry: Registry) -> None:
    assert [c.id for c in registry.concepts.concepts] == list(CONCEPT_IDS)
    for concept in registry.concepts.concepts:
        for text in (concept.title, concept.summary, concept.why_it_matters):
            assert set(text) == {"en", "es"}, concept.id
    assert set(registry.support.texts) == {"en", "es"}
    assert registry.support.regions["US"].crisis.url == "https://988lifeline.org"
    assert registry.support.international[0].url == "https://findahelpline.com"
    assert registry.support.regions["ES"].crisis.phone == "024"


def test_validated_instruments_carry_licence_and_citation(registry: Registry) -> None:
    for definition in registry.all():
        if definition.validated:
            assert definition.citation, definition.key
        else:
            assert definition.citation is None, definition.key
            assert not any(t.validated for t in definition.translations.values())
        assert set(definition.translations) == set(definition.locales), definition.key
    first = registry.get("de-jong-gierveld-6", "1.0.0")
    assert "on condition that the source is cited" in first.license
    de_jong = registry.get("de-jong-gierveld-6")
    assert "available for scientific research programs" in de_jong.license
    assert "Manual of the Loneliness Scale" in de_jong.license
    assert de_jong.requires_permission


def test_validated_items_are_verbatim(registry: Registry) -> None:
    hughes = registry.get("three-item-loneliness")
    assert [i.text["en"] for i in hughes.items] == [
        "How often do you feel that you lack companionship?",
        "How often do you feel left out?",
        "How often do you feel isolated from others?",
    ]
    assert [
        (o.value, o.label["en"]) for o in hughes.response_scales["hughes-frequency"].options
    ] == [(1, "Hardly ever"), (2, "Some of the time"), (3, "Often")]
    de_jong = registry.get("de-jong-gierveld-6")
    emotional = {1: 1, 2: 1, 3: 0}
    social = {1: 0, 2: 1, 3: 1}
    assert [(i.text["en"], i.recode) for i in de_jong.items] == [
        ("I experience a general sense of emptiness", emotional),
        ("There are plenty of people I can rely on when I have problems", social),
        ("There are many people I can trust completely", social),
        ("I miss having people around me", emotional),
        ("There are enough people I feel close to", social),
        ("I often feel rejected", emotional),
    ]


def test_no_exclamation_marks_anywhere(registry: Registry) -> None:
    dumps = [d.model_dump() for d in registry.all()]
    dumps += [registry.concepts.model_dump(), registry.support.model_dump()]
    shouting = [s for dump in dumps for s in strings(dump) if "!" in s or "¡" in s]
    assert shouting == []


def test_every_band_profile_and_flag_speaks_through_a_concept(registry: Registry) -> None:
    for definition in registry.all():
        keys = [b.feedback for s in definition.scales for b in s.bands]
        keys += [r.feedback for r in [*definition.profiles, *definition.flags]]
        assert None not in keys, definition.key
        assert set(keys) == set(definition.feedback), f"{definition.key}: unused feedback"
        for key, message in definition.feedback.items():
            assert message.concept in CONCEPT_IDS
            assert message.why is not None, key
            assert message.helps is not None, key


def test_feedback_starts_from_the_answers(registry: Registry) -> None:
    openings = {"en": "Your answers suggest", "es": "Tus respuestas sugieren"}
    for definition in registry.all():
        for key, message in definition.feedback.items():
            if key == "profile-incomplete":  # it asks for the missing answers instead
                continue
            for locale, text in message.text.items():
                assert text.startswith(openings[locale]), f"{definition.key} {key} {locale}"


DIAGNOSTIC = {
    "en": r"\byou have\b|\byou are (?:lonely|depressed|anxious)|disorder|ptsd|depress|"
    r"diagnos|syndrome|illness|patholog",
    "es": r"\btienes (?:un|una)\b|\beres\b|trastorno|\btept\b|depresi|deprimid|diagn[oó]stic|"
    r"s[ií]ndrome|enfermedad|patolog",
}


@pytest.mark.parametrize("locale", ["en", "es"])
def test_feedback_is_not_diagnostic(registry: Registry, locale: str) -> None:
    pattern = re.compile(DIAGNOSTIC[locale], re.IGNORECASE)
    found = [
        (where, text) for where, text in feedback_texts(registry, locale) if pattern.search(text)
    ]
    assert found == []


def test_the_language_check_would_catch_a_diagnosis() -> None:
    assert re.search(DIAGNOSTIC["en"], "Your answers suggest you have a disorder", re.IGNORECASE)
    assert re.search(DIAGNOSTIC["es"], "Tienes un trastorno", re.IGNORECASE)


def test_the_content_files_match_their_models() -> None:
    Concepts.model_validate(yaml.safe_load(DEFAULT_CONCEPTS.read_text(encoding="utf-8")))
    Support.model_validate(yaml.safe_load(DEFAULT_SUPPORT.read_text(encoding="utf-8")))
