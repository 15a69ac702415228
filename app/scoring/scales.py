"""Score one scale: tally its answered items, then prorate, bound, round and band the score.

Missing answers (CONTENT.md §3): below `min_answered` of the items the scale is insufficient and
is never guessed. A definition says "never prorate" with `prorate: false` (e.g. De Jong
Gierveld, whose manual counts a scale with any missing item as missing): then every item is
required, whatever `min_answered` says. The scale comes compiled (`app.scoring.plan`).
Pure: no I/O, no state.
"""

from __future__ import annotations

from collections.abc import Mapping

from app.questionnaires.model import round_half_up
from app.scoring.conditions import format_number
from app.scoring.plan import OUTCOMES_SIZE, Outcome, ScalePlan
from app.scoring.result import ScaleScore, TraceStep, TraceValue, scale_score, trace_step

# The multiplication sign reads better than "*" for the lay reader of a trace.
_TIMES = "\u00d7"


def score_scale(
    scale: ScalePlan, item_scores: Mapping[str, int], trace: list[TraceStep]
) -> ScaleScore:
    """One scale's score, or the reason it has none, with its steps appended to `trace`.

    `item_scores` holds the answered items' scores by item id.
    """
    answered = 0
    total_score = 0
    missing: list[str] = []
    for item_id in scale.items:
        value = item_scores.get(item_id)
        if value is None:
            missing.append(item_id)
        else:
            answered += 1
            total_score += value
    if missing and _is_insufficient(scale, answered, missing, trace):
        return _scale_score(scale, answered, missing, total_score, None, None)
    key = (answered, total_score)
    outcome = scale.outcomes.get(key)
    if outcome is None:
        outcome = _outcome(scale, answered, total_score)
        if len(scale.outcomes) < OUTCOMES_SIZE:
            scale.outcomes[key] = outcome
    steps, score, band = outcome
    trace.extend(steps)
    return _scale_score(scale, answered, missing, total_score, score, band)


def _outcome(scale: ScalePlan, answered: int, total_score: int) -> Outcome:
    """A scale's steps, score and band once the missing-answer rule let it be scored.

    They depend on nothing but how many items were answered and the sum of their scores.
    """
    steps: list[TraceStep] = []
    raw = float(total_score)
    mean = raw / answered
    data: dict[str, TraceValue] = {
        "method": scale.method,
        "answered": answered,
        "raw": raw,
        "mean": mean,
    }
    if scale.method == "sum":
        # `raw` is a whole number, so `str` of the sum is `format_number(raw)`.
        detail = f"sum of {answered} answered items = {total_score}"
        steps.append(trace_step("scale", scale.id, detail, data))
        score = raw
        if answered < scale.total and scale.prorate:
            score = _prorate(scale, answered, raw, steps)
        elif answered < scale.total:
            steps.append(_unprorated_step(scale, answered, raw))
    else:
        detail = (
            f"mean of {answered} answered items = {total_score} / {answered} "
            f"= {format_number(mean)}"
        )
        steps.append(trace_step("scale", scale.id, detail, data))
        score = mean
    if not scale.low <= score <= scale.high:
        score = _clamp(scale, score, steps)
    if not score.is_integer():
        # A whole number is on every grid, and most scores are sums: only the others pay for
        # the exact decimal rounding.
        score = _round(scale, score, steps)
    band = _band(scale, score, steps)
    return tuple(steps), score, band


def _scale_score(
    scale: ScalePlan,
    answered: int,
    missing: list[str],
    total_score: int,
    score: float | None,
    band: str | None,
) -> ScaleScore:
    raw = float(total_score)
    return scale_score(
        {
            "id": scale.id,
            "concept": scale.concept,
            "method": scale.method,
            "status": "insufficient" if score is None else "scored",
            "answered": answered,
            "total": scale.total,
            "missing": missing,
            # With no answer at all there is no sum or mean to report.
            "raw": raw if answered else None,
            "mean": raw / answered if answered else None,
            "score": score,
            "min": scale.low,
            "max": scale.high,
            "band": band,
        }
    )


def _is_insufficient(
    scale: ScalePlan, answered: int, missing: list[str], trace: list[TraceStep]
) -> bool:
    """Whether too few items are answered; says why in the trace when so."""
    # Compare the share itself, not `answered >= total * min_answered`: a division is rounded
    # to the float nearest the exact fraction, as the literal is, so 7 / 25 is the same float
    # as 0.28, whereas 25 * 0.28 is 7.000000000000001 and would wrongly fail 7 of 25.
    if scale.max_missing is not None:
        if len(missing) <= scale.max_missing:
            return False
        why = f"more than the {scale.max_missing} missing item(s) this scale allows"
    elif answered / scale.total < scale.min_answered:
        why = f"below the required {scale.min_answered_text} %"
    elif not scale.prorate and missing:
        why = "and this scale is not prorated, so every item must be answered"
    else:
        return False
    trace.append(
        trace_step(
            "insufficient",
            scale.id,
            f"{answered} of {scale.total} answered, {why}",
            {
                "answered": answered,
                "total": scale.total,
                "min_answered": scale.min_answered,
                "prorate": scale.prorate,
                "max_missing": scale.max_missing,
                "missing": list(missing),
            },
        )
    )
    return True


def _unprorated_step(scale: ScalePlan, answered: int, raw: float) -> TraceStep:
    """Say that a sum with missing items is kept as it is (``max_missing`` without prorating)."""
    return trace_step(
        "prorate",
        scale.id,
        (
            f"{answered} of {scale.total} answered; this scale is not prorated, so the "
            f"score is the sum of the answered items, {format_number(raw)}"
        ),
        {"raw": raw, "answered": answered, "total": scale.total, "prorated": None},
    )


def _prorate(scale: ScalePlan, answered: int, raw: float, trace: list[TraceStep]) -> float:
    total = scale.total
    value = raw * total / answered
    trace.append(
        trace_step(
            "prorate",
            scale.id,
            (
                f"{answered} of {total} answered: {format_number(raw)} {_TIMES} {total} / "
                f"{answered} = {format_number(value)}"
            ),
            {"raw": raw, "answered": answered, "total": total, "prorated": value},
        )
    )
    return value


def _clamp(scale: ScalePlan, value: float, trace: list[TraceStep]) -> float:
    """Keep a score outside its possible range in it.

    Only reachable when a scale mixes items with different ranges: prorating (or a mean of the
    answered items) can then overshoot what a full set of answers could ever reach.
    """
    low, high = scale.low, scale.high
    bounded = min(max(value, low), high)
    trace.append(
        trace_step(
            "scale",
            scale.id,
            (
                f"{format_number(value)} is outside the possible range "
                f"[{format_number(low)}, {format_number(high)}], so it is taken as "
                f"{format_number(bounded)}"
            ),
            {"value": value, "min": low, "max": high, "score": bounded},
        )
    )
    return bounded


def _round(scale: ScalePlan, value: float, trace: list[TraceStep]) -> float:
    """The score rounded half up at the scale's precision (for a score that is not whole)."""
    rounded = round_half_up(value, scale.precision)
    score = float(rounded)
    if score != value:
        trace.append(
            trace_step(
                "round",
                scale.id,
                (
                    f"{format_number(value)} rounded half up to {scale.precision} "
                    f"decimal(s) = {rounded}"
                ),
                {"value": value, "precision": scale.precision, "score": score},
            )
        )
    return score


def _band(scale: ScalePlan, score: float, trace: list[TraceStep]) -> str | None:
    """The band holding the score, compared on the rounding grid as the model checks tiling."""
    for band in scale.bands:
        if band.low <= score <= band.high:
            trace.append(
                trace_step(
                    "band",
                    scale.id,
                    f"score {format_number(score)}{band.detail}",
                    {"score": score, "band": band.id, "min": band.min, "max": band.max},
                )
            )
            return band.id
    if scale.bands:
        # The model guarantees bands tile the range; reaching here is a bug, not bad input.
        raise RuntimeError(f"scale {scale.id}: no band holds the score {score}")
    return None
