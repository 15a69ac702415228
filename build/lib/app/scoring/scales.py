"""Score one scale: tally its answered items, then prorate, bound, round and band the score.

Missing answers (CONTENT.md §3): below `min_answered` of the items the scale is insufficient and
is never guessed. A definition says "never prorate" with `prorate: false` (e.g. De Jong
Gierveld, whose manual counts a scale with any missing item as missing): then every item is
required, whatever `min_answered` says. Pure: no I/O, no state.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from app.questionnaires.model import Definition, Item, Scale, round_half_up
from app.scoring.conditions import format_number
from app.scoring.result import ScaleScore, TraceStep

# The multiplication sign reads better than "*" for the lay reader of a trace.
_TIMES = "\u00d7"


@dataclass(frozen=True, slots=True)
class _Tally:
    """The answered part of one scale."""

    answered: int
    total: int
    missing: list[str]
    raw: float

    @property
    def mean(self) -> float:
        """The answered items' mean (0 when none is answered; reported as None then)."""
        return self.raw / self.answered if self.answered else 0.0


def score_scale(
    definition: Definition,
    scale: Scale,
    items: Mapping[str, Item],
    item_scores: Mapping[str, int],
    trace: list[TraceStep],
) -> ScaleScore:
    """One scale's score, or the reason it has none, with its steps appended to `trace`.

    `items` indexes the definition's items by id; `item_scores` holds the answered ones' scores.
    """
    tally = _tally(scale, item_scores)
    low, high = _limits(definition, scale, items)
    if _is_insufficient(scale, tally, trace):
        return _scale_score(scale, tally, (low, high), None, None)
    trace.append(_method_step(scale, tally))
    value = tally.raw if scale.method == "sum" else tally.mean
    if scale.method == "sum" and tally.missing:
        value = _prorate(scale, tally, trace)
    value = _clamp(scale, value, low, high, trace)
    rounded = _round(scale, value, trace)
    return _scale_score(scale, tally, (low, high), rounded, _band(scale, rounded, trace))


def _scale_score(
    scale: Scale,
    tally: _Tally,
    limits: tuple[float, float],
    rounded: Decimal | None,
    band: str | None,
) -> ScaleScore:
    any_answer = tally.answered > 0
    return ScaleScore(
        id=scale.id,
        concept=scale.concept,
        method=scale.method,
        status="insufficient" if rounded is None else "scored",
        answered=tally.answered,
        total=tally.total,
        missing=tally.missing,
        raw=tally.raw if any_answer else None,
        mean=tally.mean if any_answer else None,
        score=None if rounded is None else float(rounded),
        min=limits[0],
        max=limits[1],
        band=band,
    )


def _limits(definition: Definition, scale: Scale, items: Mapping[str, Item]) -> tuple[float, float]:
    """`Definition.score_range`, the same arithmetic with items from the caller's plain dict.

    `Definition.item` reads a pydantic private attribute, slow enough to cost a quarter of the
    scoring time; the property tests hold the two equal.
    """
    ranges = [definition.item_score_range(items[i]) for i in scale.items]
    low, high = sum(r[0] for r in ranges), sum(r[1] for r in ranges)
    if scale.method == "mean":
        return low / len(ranges), high / len(ranges)
    return float(low), float(high)


def _tally(scale: Scale, item_scores: Mapping[str, int]) -> _Tally:
    present = [item_scores[i] for i in scale.items if i in item_scores]
    missing = [i for i in scale.items if i not in item_scores]
    return _Tally(len(present), len(scale.items), missing, float(sum(present)))


def _is_insufficient(scale: Scale, tally: _Tally, trace: list[TraceStep]) -> bool:
    """Whether too few items are answered; says why in the trace when so."""
    share = tally.answered / tally.total
    # Compare the share itself, not `answered >= total * min_answered`: 4 / 5 is the same float
    # as 0.8, whereas 0.7 * 10 is 7.000000000000001 and would wrongly fail 7 of 10.
    if share < scale.min_answered:
        why = f"below the required {format_number(scale.min_answered * 100)} %"
    elif not scale.prorate and tally.missing:
        why = "and this scale is not prorated, so every item must be answered"
    else:
        return False
    trace.append(
        TraceStep(
            rule="insufficient",
            target=scale.id,
            detail=f"{tally.answered} of {tally.total} answered, {why}",
            data={
                "answered": tally.answered,
                "total": tally.total,
                "min_answered": scale.min_answered,
                "prorate": scale.prorate,
                "missing": tally.missing,
            },
        )
    )
    return True


def _method_step(scale: Scale, tally: _Tally) -> TraceStep:
    raw, mean, n = tally.raw, tally.mean, tally.answered
    if scale.method == "sum":
        detail = f"sum of {n} answered items = {format_number(raw)}"
    else:
        detail = f"mean of {n} answered items = {format_number(raw)} / {n} = {format_number(mean)}"
    return TraceStep(
        rule="scale",
        target=scale.id,
        detail=detail,
        data={"method": scale.method, "answered": n, "raw": raw, "mean": mean},
    )


def _prorate(scale: Scale, tally: _Tally, trace: list[TraceStep]) -> float:
    raw, total, n = tally.raw, tally.total, tally.answered
    value = raw * total / n
    trace.append(
        TraceStep(
            rule="prorate",
            target=scale.id,
            detail=(
                f"{n} of {total} answered: {format_number(raw)} {_TIMES} {total} / {n} "
                f"= {format_number(value)}"
            ),
            data={"raw": raw, "answered": n, "total": total, "prorated": value},
        )
    )
    return value


def _clamp(scale: Scale, value: float, low: float, high: float, trace: list[TraceStep]) -> float:
    """Keep a score in its possible range.

    Only reachable when a scale mixes items with different ranges: prorating (or a mean of the
    answered items) can then overshoot what a full set of answers could ever reach.
    """
    bounded = min(max(value, low), high)
    if bounded != value:
        trace.append(
            TraceStep(
                rule="scale",
                target=scale.id,
                detail=(
                    f"{format_number(value)} is outside the possible range "
                    f"[{format_number(low)}, {format_number(high)}], so it is taken as "
                    f"{format_number(bounded)}"
                ),
                data={"value": value, "min": low, "max": high, "score": bounded},
            )
        )
    return bounded


def _round(scale: Scale, value: float, trace: list[TraceStep]) -> Decimal:
    rounded = round_half_up(value, scale.precision)
    if float(rounded) != value:
        trace.append(
            TraceStep(
                rule="round",
                target=scale.id,
                detail=(
                    f"{format_number(value)} rounded half up to {scale.precision} "
                    f"decimal(s) = {rounded}"
                ),
                data={"value": value, "precision": scale.precision, "score": float(rounded)},
            )
        )
    return rounded


def _band(scale: Scale, rounded: Decimal, trace: list[TraceStep]) -> str | None:
    """The band holding the score, compared on the rounding grid as the model checks tiling."""
    value = float(rounded)
    for band in scale.bands:
        if _on_grid(band.min, scale.precision) <= value <= _on_grid(band.max, scale.precision):
            trace.append(
                TraceStep(
                    rule="band",
                    target=scale.id,
                    detail=(
                        f"score {format_number(value)} is in band {band.id} "
                        f"[{format_number(band.min)}, {format_number(band.max)}]"
                    ),
                    data={
                        "score": value,
                        "band": band.id,
                        "min": band.min,
                        "max": band.max,
                    },
                )
            )
            return band.id
    if scale.bands:
        # The model guarantees bands tile the range; reaching here is a bug, not bad input.
        raise RuntimeError(f"scale {scale.id}: no band holds the score {rounded}")
    return None


def _on_grid(bound: float, precision: int) -> float:
    """A band bound rounded half up to the scale's grid, as the model rounds it to check tiling.

    Bounds are nearly always written on the grid already, and then the fast float `round`
    proves it: a float equal to its rounding at `precision` has no more decimals than that.
    """
    if round(bound, precision) == bound:
        return bound
    return float(round_half_up(bound, precision))
