"""The SVG chart of a scale over time: pure, so tested like scoring, from hand-made trends."""

from __future__ import annotations

import itertools
import re
import uuid
from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree

from app.assessments.schemas import TrendChange, TrendPoint, TrendRead
from app.console.charts import (
    BOTTOM,
    HEIGHT,
    LABEL_CHARS,
    TOP,
    chart_svg,
    label_lines,
    plotted,
    y_range,
)
from app.questionnaires.model import Reliability, Scale
from app.scoring.change import compare

SVG = "{http://www.w3.org/2000/svg}"


def scale(reliability: Reliability | None = None) -> Scale:
    return Scale.model_validate(
        {
            "id": "hyperarousal",
            "title": {"en": "Revved up"},
            "concept": "hyperarousal",
            "items": ["a", "b"],
            "bands": [
                {"id": "low", "min": 0, "max": 9, "label": {"en": "Low"}},
                {"id": "high", "min": 10, "max": 20, "label": {"en": "High <&>"}},
            ],
            "reliability": reliability.model_dump() if reliability else None,
        }
    )


def trend(scores: list[float | None], figures: Reliability | None = None) -> TrendRead:
    start = datetime(2026, 1, 5, tzinfo=UTC)
    points = [
        TrendPoint(
            assessment_id=uuid.uuid4(),
            questionnaire_version="1.0.0",
            answered_at=start + timedelta(days=7 * n),
            score=score,
            band=None if score is None else ("high" if score >= 10 else "low"),
            band_label=None if score is None else ("High <&>" if score >= 10 else "Low"),
        )
        for n, score in enumerate(scores)
    ]
    scored = [p for p in points if p.score is not None]
    changes = [
        TrendChange(
            from_assessment_id=a.assessment_id,
            to_assessment_id=b.assessment_id,
            change=compare(a.score, b.score, figures),  # type: ignore[arg-type]
        )
        for a, b in itertools.pairwise(scored)
    ]
    return TrendRead(
        questionnaire_id="window-of-tolerance",
        scale="hyperarousal",
        title="Revved up",
        concept="hyperarousal",
        locale="en",
        points=points,
        changes=changes,
    )


def test_points_are_joined_in_order_within_the_bands_span() -> None:
    drawn = plotted(trend([2, 18, None, 10]), scale())
    assert [p.x for p in drawn] == sorted(p.x for p in drawn)
    assert len(drawn) == 3  # the unscored point is left out, not drawn at zero
    assert y_range(trend([2]), scale()) == (0, 20)
    top, bottom = TOP, HEIGHT - BOTTOM
    assert drawn[0].y == bottom - (bottom - top) * 2 / 20
    assert drawn[1].y < drawn[2].y < drawn[0].y  # 18 above 10 above 2


def test_a_reliable_change_is_marked_and_said_in_words() -> None:
    figures = Reliability(sd=2.0, r=0.9, source="test")  # SEdiff = 0.894: 16 points is reliable
    drawn = plotted(trend([2, 18, 17], figures), scale(figures))
    assert [p.reliable for p in drawn] == [False, True, False]
    assert drawn[1].label.endswith("a reliable change")
    svg = str(chart_svg(trend([2, 18, 17], figures), scale(figures), "c1"))
    assert svg.count('class="point-reliable"') == 1
    assert svg.count('class="point"') == 2


def test_without_figures_nothing_is_called_reliable() -> None:
    svg = str(chart_svg(trend([2, 18]), scale(), "c1"))
    assert "point-reliable" not in svg


def test_the_svg_is_well_formed_labelled_escaped_and_has_no_inline_style() -> None:
    svg = str(chart_svg(trend([2, 18, 10]), scale(), "c1"))
    root = ElementTree.fromstring(svg)  # noqa: S314 (our own output)
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "c1-title c1-desc"
    assert root.find(f"{SVG}title").text == "Revved up over time"  # type: ignore[union-attr]
    assert len(root.findall(f"{SVG}rect")) == 2  # one shaded band each
    labels = ["".join(t.itertext()) for t in root.findall(f"{SVG}text")]
    assert "High <&>" in labels  # escaped in the markup, the text itself intact
    assert len(root.findall(f"{SVG}polyline")) == 1
    assert "style=" not in svg
    assert not re.search(r"<script", svg)


def test_one_point_is_drawn_without_a_line() -> None:
    svg = str(chart_svg(trend([5]), scale(), "c1"))
    assert "<polyline" not in svg
    assert svg.count("<circle") == 1


def test_a_lone_result_says_its_score_and_band_beside_the_point() -> None:
    root = ElementTree.fromstring(str(chart_svg(trend([None, 12.5]), scale(), "c1")))  # noqa: S314
    texts = [t.text for t in root.findall(f"{SVG}text") if t.get("class") == "point-value"]
    assert texts == ["12.5 (High <&>)"]
    [point] = root.findall(f"{SVG}circle")
    assert point.get("r") == "7"  # drawn larger than a point among many
    assert not ElementTree.fromstring(  # noqa: S314
        str(chart_svg(trend([2, 18]), scale(), "c1"))
    ).findall(f"{SVG}text[@class='point-value']")


def test_a_scale_never_scored_says_so_instead_of_an_empty_plot() -> None:
    svg = str(chart_svg(trend([None, None]), scale(), "c1"))
    assert "<circle" not in svg
    assert "No score yet: too few answers" in svg


def test_the_chart_speaks_the_pages_language() -> None:
    svg = str(chart_svg(trend([2.5, 18]), scale(), "c1", "es"))
    root = ElementTree.fromstring(svg)  # noqa: S314
    assert root.find(f"{SVG}title").text == "Revved up a lo largo del tiempo"  # type: ignore[union-attr]
    labels = [t.text for t in root.findall(f"{SVG}text")]
    assert "5 ene 2026" in labels  # Babel's Spanish month
    tips = [t.text for t in root.iter(f"{SVG}title")]
    assert "5 ene 2026: 2,5 (Low)" in tips  # a decimal comma


def test_a_long_band_name_is_wrapped_to_fit_beside_the_plot() -> None:
    name = "La cercanía a veces resulta llevadera y a veces demasiado"
    lines = label_lines(name)
    assert " ".join(lines) == name
    assert all(len(line) <= LABEL_CHARS for line in lines)
    assert label_lines("Low") == ["Low"]
    assert label_lines("word " * 40)[-1].endswith("…")
    assert len(label_lines("word " * 40)) == 3
