"""CSV lines of an export, made straight from its database rows.

`csv.writer` looks at every character of every field, twice, and costs about as much as the
rest of the export together (some 5 µs a row). Most of an export's fields cannot need quoting
(hex pseudonyms, numbers) and the rest come from a few distinct values (hashes, versions,
sources, bands, profiles, flags), so each distinct text is quoted once, by `csv.writer`
itself, and a line is the fields joined with commas. The bytes are `csv.writer`'s (excel
dialect: minimal quoting, CRLF line ends) for the values `service.row_maker` makes;
tests/research/test_csvrows.py holds the two to the same output.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from typing import Any

from app.research.pseudonyms import Pseudonymizer
from app.research.service import (
    AT,
    ENGINE,
    FLAGS,
    HASH,
    ID,
    PERSON,
    PROFILE,
    SCORES,
    SEQUENCE,
    SOURCE,
    ExportSpec,
    JoinedFlags,
    LastPerson,
    RowLayout,
    days_since_first,
    finer_time_of,
)

LINE_END = "\r\n"  # csv.writer's default (excel dialect)


class QuotedFields(dict[str | None, str]):
    """A text as `csv.writer` writes it among other fields (None: empty), each distinct
    text quoted once."""

    def __init__(self) -> None:
        super().__init__({None: ""})
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer)

    def __missing__(self, text: str | None) -> str:
        # A second, empty field: csv.writer quotes a lone empty field ("") but not this one.
        self._writer.writerow([text, ""])
        line = self._buffer.getvalue()
        self._buffer.seek(0)
        self._buffer.truncate()
        quoted = self[text] = line[: -len("," + LINE_END)]
        return quoted

    def value(self, value: Any) -> str:
        """Any value as csv.writer writes it: None empty, anything else its str, quoted
        as needed (for item answers, whose type the definition decides)."""
        if value is None:
            return ""
        return self[value if type(value) is str else str(value)]


def csv_line_maker(spec: ExportSpec) -> Callable[[Sequence[Any]], str]:
    """A function from a database row (`export_statement`'s) to its CSV line (no line end)."""
    pseudonyms = Pseudonymizer(spec.scope.key)
    assessment_key = pseudonyms.assessment
    person_key = LastPerson(pseudonyms)
    layout = RowLayout.of(spec)
    quoted = QuotedFields()
    flags_of = JoinedFlags()
    head = f"{quoted[spec.definition.id]},{quoted[spec.definition.version]}"
    finer = finer_time_of(spec)
    needs_first = days_since_first(spec.scope.finer_time)

    def line(row: Sequence[Any]) -> str:
        answered_at = row[AT]
        fields = [person_key(row[PERSON]), assessment_key(row[ID]), head]
        fields += [quoted[row[HASH]], quoted[row[ENGINE]], str(answered_at.year)]
        fields.append(str(row[SEQUENCE]))
        if finer is not None:
            first = row[layout.first_at] if needs_first else None
            fields.append(quoted.value(finer(answered_at, first)))
        fields.append(quoted[row[SOURCE]])
        position = SCORES
        for whole in layout.whole:
            score = row[position]
            if score is None:
                fields.append("")
            else:
                fields.append(str(int(score)) if whole else str(score))
            fields.append(quoted[row[position + 1]])
            position += 2
        fields += [quoted[row[PROFILE]], quoted[flags_of[row[FLAGS]]]]
        if layout.item_ids:
            answers = row[layout.answers] or {}
            fields.extend(quoted.value(answers.get(item_id)) for item_id in layout.item_ids)
        return ",".join(fields)

    return line
