"""What the hand-scored tests of the shipped questionnaires share: a case and its expectation."""

from __future__ import annotations

from dataclasses import dataclass, field

#: expected per scale: (score, band); (None, None) means insufficient.
Expected = dict[str, tuple[float | None, str | None]]


@dataclass(frozen=True)
class Case:
    """Answers to one questionnaire and what scoring them must give."""

    name: str
    questionnaire: str
    answers: dict[str, int]
    scales: Expected
    profile: str | None
    flags: list[str] = field(default_factory=list)
