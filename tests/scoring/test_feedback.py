"""Feedback: message order, support first when flagged, locale choice, concept defaults."""

from __future__ import annotations

import pytest

from app.questionnaires.content import Concepts, Support
from app.questionnaires.model import Definition
from app.questionnaires.support import choose_support
from app.scoring import Feedback, render_feedback, score
from app.scoring.feedback import _pick
from tests.scoring.builders import band, feedback_text, item, make_definition, rule, scale

HYPER_HIGH = {"scale": "hyper", "band": ["high"]}


@pytest.fixture(scope="module")
def definition() -> Definition:
    """hyper (a, b) and hypo (c, d) with band feedback; a profile; a flag on high hyper."""
    hyper_bands = [
        band("low", 0, 3, feedback="hyper-low"),
        band("high", 4, 8, feedback="hyper-high"),
    ]
    hypo_bands = [band("low", 0, 3), band("high", 4, 8, feedback="hypo-high")]
    return make_definition(
        items=[item(i) for i in "abcd"],
        scales=[
            scale("hyper", ["a", "b"], bands=hyper_bands),
            {**scale("hypo", ["c", "d"], bands=hypo_bands), "concept": "hypoarousal"},
        ],
        profiles=[rule("above", HYPER_HIGH, feedback="above"), rule("plain", {"always": True})],
        flags=[rule("on-edge", HYPER_HIGH, feedback="on-edge"), rule("silent", HYPER_HIGH)],
        feedback={
            "hyper-low": feedback_text("window-of-tolerance", helps=False),
            "hyper-high": feedback_text("hyperarousal"),
            "hypo-high": feedback_text("hypoarousal", why=False),
            "above": feedback_text("co-regulation"),
            "on-edge": feedback_text("connection-as-protection"),
        },
    )


def render(
    definition: Definition,
    answers: dict[str, int],
    locale: str,
    concepts: Concepts,
    support: Support,
) -> Feedback:
    chosen = choose_support(support, [locale])
    return render_feedback(definition, score(definition, answers), locale, concepts, chosen)


def test_flagged_result_puts_support_and_flags_first(
    definition: Definition, concepts: Concepts, support: Support
) -> None:
    feedback = render(definition, {"a": 4, "b": 4, "c": 1}, "en", concepts, support)
    assert [(m.kind, m.target, m.label) for m in feedback.messages] == [
        ("flag", "on-edge", "On-Edge"),  # "silent" fired too, but has no text
        ("profile", "above", "Above"),
        ("scale", "hyper", "High"),
        ("missing", "hypo", None),
    ]
    assert feedback.support_first is True
    assert feedback.support.urgent == "en urgent"
    assert (feedback.notice, feedback.support.heading) == ("en notice", "en heading")
    # No region is known, so English's default countries, then the directory.
    assert [r.name for r in feedback.support.resources] == ["en line", "emergency", "directory"]
    assert feedback.crisis == "en call a line below"


def test_unflagged_result_has_support_last_and_no_urgent_text(
    definition: Definition, concepts: Concepts, support: Support
) -> None:
    feedback = render(definition, {"a": 0, "b": 1, "c": 4, "d": 4}, "en", concepts, support)
    # the `plain` profile has no feedback text, and the low hypo band has none either
    assert [(m.kind, m.target) for m in feedback.messages] == [
        ("scale", "hyper"),
        ("scale", "hypo"),
    ]
    assert (feedback.support_first, feedback.support.urgent) == (False, None)
    assert feedback.notice == "en notice"
    assert feedback.support.resources


def test_message_texts_and_concept(
    definition: Definition, concepts: Concepts, support: Support
) -> None:
    feedback = render(definition, {"a": 4, "b": 4, "c": 4, "d": 4}, "en", concepts, support)
    hyper = next(m for m in feedback.messages if m.target == "hyper")
    assert hyper.model_dump() == {
        "kind": "scale",
        "target": "hyper",
        "title": "Hyper",
        "label": "High",
        "concept": "hyperarousal",
        "concept_title": "hyperarousal title",
        "text": "about hyperarousal",
        "why": "why hyperarousal",
        "helps": "helps hyperarousal",
    }
    flag = feedback.messages[0]
    assert (flag.title, flag.concept) == ("Test check", "connection-as-protection")


def test_why_defaults_to_the_concepts_why_it_matters(
    definition: Definition, concepts: Concepts, support: Support
) -> None:
    feedback = render(definition, {"a": 0, "b": 0, "c": 4, "d": 4}, "en", concepts, support)
    by_target = {m.target: m for m in feedback.messages}
    assert by_target["hypo"].why == "hypoarousal matters"
    assert by_target["hyper"].helps is None


def test_missing_message_asks_kindly(
    definition: Definition, concepts: Concepts, support: Support
) -> None:
    en = render(definition, {"c": 0, "d": 0}, "en", concepts, support)
    es = render(definition, {"c": 0, "d": 0}, "es", concepts, support)
    assert en.messages[0].text == (
        "Some answers for Hyper are missing, so this part is not scored. "
        "Answering the remaining questions gives a fuller picture."
    )
    assert es.messages[0].text.startswith("Faltan algunas respuestas de Hyper (es),")
    assert (en.messages[0].kind, en.messages[0].why, en.messages[0].helps) == (
        "missing",
        None,
        None,
    )


@pytest.mark.parametrize(
    ("requested", "used"),
    [
        ("en", "en"),
        ("es", "es"),
        ("es-MX", "es"),
        ("es-Latn-MX", "es"),  # the language is what comes before the first hyphen
        ("fr", "en"),
        ("", "en"),
    ],
)
def test_locale_choice(
    definition: Definition, concepts: Concepts, support: Support, requested: str, used: str
) -> None:
    feedback = render(definition, {"a": 4, "b": 4, "c": 4, "d": 4}, requested, concepts, support)
    assert feedback.locale == used
    suffix = " (es)" if used == "es" else ""
    assert feedback.messages[0].text == f"about connection-as-protection{suffix}"
    assert feedback.messages[0].label == f"On-Edge{suffix}"
    assert feedback.messages[0].concept_title == f"connection-as-protection title{suffix}"
    assert feedback.notice == f"{used} notice"


def test_support_falls_back_to_english(concepts: Concepts, support: Support) -> None:
    only_en = support.model_copy(update={"texts": {"en": support.texts["en"]}})
    definition = make_definition(items=[item("a")], scales=[scale("s", ["a"])])
    feedback = render(definition, {"a": 1}, "es", concepts, only_en)
    assert (feedback.locale, feedback.notice) == ("es", "en notice")
    assert feedback.support.language == "en"


@pytest.mark.parametrize(
    ("identity", "message"),
    [({"id": "other"}, "other@1.0.0"), ({"version": "1.1.0"}, "test-check@1.1.0")],
    ids=["other-questionnaire", "other-version"],
)
def test_result_of_another_definition_is_refused(
    definition: Definition,
    concepts: Concepts,
    support: Support,
    identity: dict[str, str],
    message: str,
) -> None:
    other = make_definition(items=[item("a")], scales=[scale("s", ["a"])], **identity)
    with pytest.raises(ValueError, match=f"a result of {message} cannot be rendered"):
        render_feedback(
            definition, score(other, {"a": 1}), "en", concepts, choose_support(support, ["en"])
        )


@pytest.mark.parametrize(
    ("text", "locale", "picked"),
    [
        ({"es-MX": "mx", "es": "es", "en": "en"}, "es-MX", "mx"),
        ({"es": "es", "en": "en"}, "es-MX", "es"),
        ({"es": "es", "en": "en"}, "es-Latn-MX", "es"),
        ({"fr": "fr", "en": "en"}, "es", "en"),
        ({"fr": "fr", "de": "de"}, "es-MX", "fr"),
    ],
    ids=["locale", "language", "language-of-three-parts", "english", "whatever-there-is"],
)
def test_a_text_falls_back_to_its_language_then_english_then_any(
    text: dict[str, str], locale: str, picked: str
) -> None:
    # Concept texts come from their own file and need not have every locale a definition has.
    assert _pick(text, locale) == picked


def test_the_support_section_names_the_readers_region_and_language(
    definition: Definition, concepts: Concepts, support: Support
) -> None:
    answers = {"a": 4, "b": 4, "c": 4, "d": 4}
    chosen = choose_support(support, ["es-XA"])
    feedback = render_feedback(definition, score(definition, answers), "es-XA", concepts, chosen)
    assert (
        (feedback.support.region, feedback.support.language)
        == ("XA", "es")
        == (
            chosen.region,
            chosen.language,
        )
    )
    assert feedback.support.resources == list(chosen.resources)
    assert feedback.crisis == chosen.pointer
    unknown = choose_support(support, ["es"])
    assert (
        render_feedback(
            definition, score(definition, answers), "es", concepts, unknown
        ).support.region
        is None
    )
