"""A mobile app's whole respondent flow, through the client openapi-python-client generates.

Run by tests/contract/test_python_client.py as `python respondent_flow.py BASE_URL`, with the
generated package `attune_client` on the path, after mypy has checked this file against it:
a contract change that breaks a client breaks this file first. Not collected by pytest.
"""

from __future__ import annotations

import sys
import uuid
from datetime import UTC, datetime
from http import HTTPStatus
from typing import TypeVar

from attune_client import AuthenticatedClient, Client
from attune_client.api.assessments import (
    create_assessment,
    create_submission,
    get_my_trend,
    get_result,
    list_my_assessments,
    save_answers,
    submit_assessment,
)
from attune_client.api.questionnaires import get_questionnaire, list_questionnaires
from attune_client.api.respondents import (
    create_respondent,
    erase_me,
    export_my_data,
    update_my_consent,
)
from attune_client.models import (
    AnswersUpdate,
    AnswersUpdateAnswers,
    AssessmentCreate,
    AssessmentRead,
    AssessmentStatus,
    BandStep,
    ConsentUpdate,
    Problem,
    QuestionnaireRead,
    RespondentCreate,
    RespondentCreated,
    ResultRead,
    ScoreResult,
    SubmissionCreate,
    SubmissionCreateAnswers,
    SubmissionRead,
)

T = TypeVar("T")
QUESTIONNAIRE = "three-item-loneliness"
ANSWERS = {"lack-companionship": 2, "left-out": 3, "isolated": 2}


def check(condition: bool, what: str) -> None:
    """Fail the flow with a sentence (not `assert`: it must hold under python -O too)."""
    if not condition:
        raise SystemExit(f"contract broken: {what}")


def ok(value: T | Problem | None, what: str) -> T:
    """The typed body of a success, or the flow fails saying which step."""
    if value is None or isinstance(value, Problem):
        raise SystemExit(f"contract broken: {what}: {value!r}")
    return value


def main(base_url: str) -> None:
    """Every step a mobile app takes, with the types the generated client gives."""
    anonymous = Client(base_url=base_url, raise_on_unexpected_status=True)
    created = create_respondent.sync(client=anonymous, body=RespondentCreate())
    check(isinstance(created, RespondentCreated), "POST /v1/respondents {} creates one")
    assert isinstance(created, RespondentCreated)
    check(created.token.startswith("atr_"), "a respondent token starts with atr_")
    app = AuthenticatedClient(base_url=base_url, token=created.token)

    listed = ok(list_questionnaires.sync(client=anonymous), "the list")
    check(QUESTIONNAIRE in {q.id for q in listed}, "the list names it")
    spanish = get_questionnaire.sync_detailed("connection", client=anonymous, lang="es")
    check(isinstance(spanish.parsed, QuestionnaireRead), "a questionnaire is typed")
    assert isinstance(spanish.parsed, QuestionnaireRead)
    check(spanish.parsed.locale == "es", "?lang=es gives Spanish")
    check(spanish.headers.get("Content-Language") == "es", "Content-Language says so")
    check(bool(spanish.parsed.scales[0].bands), "the scoring rules come with it")

    started = create_assessment.sync_detailed(
        client=app, body=AssessmentCreate(questionnaire_id=QUESTIONNAIRE)
    )
    check(started.status_code == HTTPStatus.CREATED, "start is 201")
    assert isinstance(started.parsed, AssessmentRead)
    assessment = started.parsed
    check(assessment.status == AssessmentStatus.IN_PROGRESS, "a new one is in progress")
    etag = started.headers["ETag"]

    saved = save_answers.sync_detailed(
        assessment.id,
        client=app,
        body=AnswersUpdate(answers=AnswersUpdateAnswers.from_dict(dict(ANSWERS))),
        if_match=etag,
    )
    check(saved.status_code == HTTPStatus.OK, "a save with the ETag is 200")
    stale = save_answers.sync_detailed(
        assessment.id,
        client=app,
        body=AnswersUpdate(answers=AnswersUpdateAnswers.from_dict({"left-out": 1})),
        if_match=etag,
    )
    check(stale.status_code == HTTPStatus.PRECONDITION_FAILED, "a stale If-Match is 412")
    check(isinstance(stale.parsed, Problem), "a 412 is a typed problem")

    key = str(uuid.uuid4())
    first = submit_assessment.sync_detailed(assessment.id, client=app, idempotency_key=key)
    check(first.status_code == HTTPStatus.OK, "submit is 200")
    assert isinstance(first.parsed, ResultRead)
    check(first.parsed.scales[0].score == 7, "2 + 3 + 2 is 7")
    again = submit_assessment.sync_detailed(assessment.id, client=app, idempotency_key=key)
    check(again.headers.get("Idempotent-Replayed") == "true", "a retry is a replay")
    assert isinstance(again.parsed, ResultRead)
    check(again.parsed.submitted_at == first.parsed.submitted_at, "the replay is the first")
    result = ok(get_result.sync(assessment.id, client=app), "result")
    # Trace steps are typed per rule: a band step names the band the scale fell in.
    bands = [step for step in result.trace if isinstance(step, BandStep)]
    check(bands != [] and bands[0].data.band == result.scales[0].band, "a typed band step")

    one_shot = SubmissionCreate(
        id=uuid.uuid4(),
        questionnaire_id=QUESTIONNAIRE,
        answers=SubmissionCreateAnswers.from_dict(dict(ANSWERS)),
        answered_at=datetime(2026, 11, 20, 8, 30, tzinfo=UTC),
    )
    stored = create_submission.sync_detailed(client=app, body=one_shot)
    check(stored.status_code == HTTPStatus.CREATED, "a one-shot is 201")
    replayed = create_submission.sync_detailed(client=app, body=one_shot)
    check(replayed.status_code == HTTPStatus.OK, "the same one-shot again is 200")
    # The case an offline app must handle: the replay has a typed body, not None.
    assert isinstance(stored.parsed, SubmissionRead)
    assert isinstance(replayed.parsed, SubmissionRead)
    check(replayed.parsed.result.scales[0].score == 7, "the replay carries the result")
    check(replayed.parsed.assessment.id == stored.parsed.assessment.id, "the same assessment")
    changed = one_shot.to_dict() | {"answers": {"lack-companionship": 1, "left-out": 1}}
    conflict = create_submission.sync_detailed(client=app, body=SubmissionCreate.from_dict(changed))
    check(conflict.status_code == HTTPStatus.CONFLICT, "other answers under the id: 409")
    check(isinstance(conflict.parsed, Problem), "a 409 is a typed problem")

    history = ok(list_my_assessments.sync(client=app, status=AssessmentStatus.SUBMITTED), "me")
    check(len(history.items) == 2, "two submitted in the history")
    trend = ok(
        get_my_trend.sync(client=app, questionnaire=QUESTIONNAIRE, scale="loneliness"), "trend"
    )
    check(len(trend.points) == 2, "a trend of two points")
    consent = ok(update_my_consent.sync(client=app, body=ConsentUpdate(research=True)), "consent")
    check(consent.research, "consent given")
    export = ok(export_my_data.sync(client=app), "export")
    check(len(export.assessments) == 2, "the export has both")
    check(isinstance(export.assessments[0].result, ScoreResult), "an export's result is typed")
    erased = ok(erase_me.sync(client=app), "erasure")
    check(erased.assessments == 2, "erasure says what went")
    gone = list_my_assessments.sync_detailed(client=app)
    check(gone.status_code == HTTPStatus.UNAUTHORIZED, "the token ends with the erasure")
    print("respondent flow ok")


if __name__ == "__main__":
    main(sys.argv[1])
