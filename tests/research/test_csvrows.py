"""CSV lines made from database rows are the bytes csv.writer makes of the export's values.

Pure unit tests (no database): `csv_line_maker` (the export's CSV path) against `csv.writer`
over `row_maker` (the values, also behind JSON Lines), on rows with every kind of value a
row can hold, and texts that need quoting (commas, quotes, line breaks) where texts can be.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.questionnaires.registry import Registry
from app.research.csvrows import LINE_END, QuotedFields, csv_line_maker
from app.research.pseudonyms import Pseudonymizer
from app.research.service import SCORES, ExportSpec, LastPerson, Scope, row_maker

WHOLE = Registry.load().get("window-of-tolerance")  # every scale a whole number
# The same with every other scale to two decimals (12.5, not 12), as a definition may say.
DEFINITION = WHOLE.model_copy(
    update={
        "scales": [
            scale.model_copy(update={"precision": 2 * (n % 2)})
            for n, scale in enumerate(WHOLE.scales)
        ]
    }
)
KEY = bytes(range(32))
PEOPLE = [uuid.UUID(int=n) for n in range(1, 4)]
TEXTS = ["", "low", "a,b", 'say "hi"', "two\nlines", "cr\rhere", " lead", "ünïcode", "x" * 3]

texts = st.one_of(st.none(), st.sampled_from(TEXTS), st.text(max_size=8))
scores = st.one_of(
    st.none(),
    st.integers(0, 40).map(float),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([1e-05, 1.5e16, 0.1 + 0.2, -0.0, 12.5]),
)
answers = st.one_of(st.none(), st.integers(0, 4), st.floats(0, 4), texts, st.booleans())
times = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


@st.composite
def rows(draw: st.DrawFn, finer_time: str | None, items: bool) -> tuple[Any, ...]:
    """A row as `export_statement` returns it, with values of every kind it can hold."""
    answered_at = draw(times)
    row: list[Any] = [
        draw(st.uuids()),
        draw(st.sampled_from(PEOPLE)),
        draw(st.sampled_from(["ab" * 32, "a,b", '"hash"'])),
        draw(st.sampled_from(["1.1.0", "2,0"])),
        answered_at,
        draw(st.integers(1, 10**6)),
        draw(st.sampled_from(["app", "intake", "in,take"])),
        draw(texts),
        draw(st.one_of(st.none(), st.just("null"), st.lists(texts.filter(bool)).map(json.dumps))),
    ]
    for _ in DEFINITION.scales:
        row += [draw(scores), draw(texts)]
    if finer_time == "days_since_first":
        row.append(draw(times.filter(lambda first: first <= answered_at)))
    if items:
        ids = [item.id for item in DEFINITION.items]
        row.append(draw(st.one_of(st.none(), st.dictionaries(st.sampled_from(ids), answers))))
    assert len(row) >= SCORES
    return tuple(row)


def spec(finer_time: str | None, items: bool) -> ExportSpec:
    """An export of DEFINITION with the finer time element and items asked for."""
    scope = Scope(key=KEY, finer_time=finer_time)
    return ExportSpec(uuid.uuid4(), DEFINITION, scope, items=items)


def written(values: list[list[Any]]) -> str:
    """What csv.writer writes of `values`."""
    buffer = io.StringIO()
    csv.writer(buffer).writerows(values)
    return buffer.getvalue()


@pytest.mark.parametrize("finer_time", [None, "week", "month", "days_since_first"])
@pytest.mark.parametrize("items", [False, True])
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_csv_lines_are_what_csv_writer_makes_of_the_values(
    finer_time: str | None, items: bool, data: st.DataObject
) -> None:
    batch = data.draw(st.lists(rows(finer_time, items), min_size=1, max_size=6))
    export = spec(finer_time, items)
    make, line = row_maker(export), csv_line_maker(export)
    expected = written([make(row) for row in batch])
    assert "".join(line(row) + LINE_END for row in batch) == expected


def test_a_whole_number_scale_reads_without_a_decimal_and_an_insufficient_one_is_empty() -> None:
    first = (uuid.UUID(int=9), PEOPLE[0], "h", "1.1.0", datetime(2024, 3, 5, tzinfo=UTC), 1)
    row = (*first, "app", None, "[]", 12.0, "high", None, None, 3.0, "low", 0.0, None)
    line = csv_line_maker(spec(None, False))(row)
    # Scales 1 and 3 to two decimals, 0 and 2 whole (DEFINITION).
    assert line.split(",")[9:17] == ["12", "high", "", "", "3", "low", "0.0", ""]


def test_quoted_fields_match_csv_writer_alone_and_empty() -> None:
    quoted = QuotedFields()
    assert quoted[None] == quoted[""] == ""
    assert quoted["a,b"] == '"a,b"'
    assert quoted['say "hi"'] == '"say ""hi"""'
    assert quoted.value(3) == "3"
    assert quoted.value(None) == ""


def test_the_last_persons_pseudonym_is_reused_but_never_for_someone_else() -> None:
    pseudonyms = Pseudonymizer(KEY)
    person_key = LastPerson(pseudonyms)
    order = [PEOPLE[0], PEOPLE[0], PEOPLE[1], PEOPLE[0], PEOPLE[2], PEOPLE[2]]
    assert [person_key(p) for p in order] == [pseudonyms.person(p) for p in order]
