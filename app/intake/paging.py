"""Cutting an intake into pages that fit a phone: at most `PAGE_ITEMS` questions on each.

One questionnaire per page made window-of-tolerance's 16 questions one phone page about
7,200 CSS pixels tall, with nothing saved until its end. A long questionnaire is now cut
into pages of nearly equal size (16 items: 6, 5 and 5), each a save point of its own, so
the form is a sequence of pages across all of the invitation's questionnaires. A page never
mixes two questionnaires: its heading and instructions are one questionnaire's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

#: The most questions on one page. Six five-option items are about two phone screens.
PAGE_ITEMS = 6


@dataclass(frozen=True)
class Page:
    """One page of the form: a slice of one questionnaire's items."""

    #: The questionnaire's position in the invitation (0 for the first).
    part: int
    #: The slice of that questionnaire's items on this page: items[start:stop].
    start: int
    stop: int
    #: This page's place among its questionnaire's pages (1 for the first), and how many.
    number_in_part: int
    pages_in_part: int


def split(count: int, most: int = PAGE_ITEMS) -> list[tuple[int, int]]:
    """(start, stop) of each page of `count` items: as few pages as fit, sizes within one."""
    pages = max(1, -(-count // most))
    size, extra = divmod(count, pages)
    bounds, start = [], 0
    for number in range(pages):
        stop = start + size + (1 if number < extra else 0)
        bounds.append((start, stop))
        start = stop
    return bounds


def pages_of(item_counts: Sequence[int], most: int = PAGE_ITEMS) -> list[Page]:
    """Every page of an intake whose questionnaires have `item_counts` items, in order."""
    pages = []
    for part, count in enumerate(item_counts):
        bounds = split(count, most)
        for number, (start, stop) in enumerate(bounds, start=1):
            pages.append(Page(part, start, stop, number, len(bounds)))
    return pages


def page_of_item(pages: Sequence[Page], part: int, position: int) -> int:
    """The page number (1 for the first) showing item `position` (0-based) of `part`."""
    for number, page in enumerate(pages, start=1):
        if page.part == part and page.start <= position < page.stop:
            return number
    raise ValueError(f"no page shows item {position} of part {part}")
