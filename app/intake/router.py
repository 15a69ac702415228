"""The intake web form behind an invitation link: /intake/{token} (HTML, not /v1).

A questionnaire takes one page, or several when it is long (app/intake/paging.py), and the
pages of all of the invitation's questionnaires are numbered in a row (`?step=1..n`). Every
POST saves the page's answers before anything else, then redirects (303) to the next,
previous or same page, so a reload never re-sends a form and a later visit resumes. The
language switch is a button of the same form: it saves the page, remembers the language on
the invitation, and shows the same page in that language. The last page sends everything.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, RedirectResponse, Response

from app.accounts.attention import notify_flagged
from app.accounts.support import organization_support
from app.clinic.models import Client, Invitation
from app.config import Settings
from app.db import SessionDep, utcnow
from app.errors import AppError, Conflict, Gone, InvalidInput, NotFound
from app.i18n import negotiate_locale
from app.intake import service
from app.intake.language import remember_language, remembered_language
from app.intake.pages import (
    LOCALES,
    SECURITY_HEADERS,
    FormState,
    feedback_page,
    first_page_missing,
    form_page,
    message_page,
    page_count,
    page_part,
    page_url,
    status_page,
)
from app.intake.readback import submitted_feedback
from app.intake.service import MissingAnswers, Part
from app.questionnaires.dependencies import LangQuery, RegistryDep, locales_wanted
from app.questionnaires.registry import Registry
from app.questionnaires.schemas import localized
from app.ratelimit import Bucket, Limiter, address_key, client_address

router = APIRouter(prefix="/intake", tags=["intake"], include_in_schema=False)

STYLESHEET = Path(__file__).parent / "static" / "intake.css"
Token = Annotated[str, PathParam(min_length=8, max_length=200)]
Step = Annotated[int, Query(ge=1, le=50)]


@router.get("/static/intake.css")
async def stylesheet() -> FileResponse:
    """The form's only stylesheet (CSP allows no inline style)."""
    return FileResponse(
        STYLESHEET, media_type="text/css", headers={"Cache-Control": "max-age=3600"}
    )


@router.get("/{token}")
async def show_form(
    token: Token,
    request: Request,
    session: SessionDep,
    registry: RegistryDep,
    limiter: Limiter,
    lang: LangQuery = None,
    step: Step = 1,
    saved: bool = False,
    check: bool = False,
) -> Response:
    """One step of the form; `check` marks that step's unanswered items (error links)."""
    try:
        invitation, client = await _open(request, session, limiter, token)
        lang = lang or await remembered_language(session, invitation)
        wanted = locales_wanted(request, lang)
        locale = negotiate_locale(wanted, LOCALES, LOCALES[0])
        parts = await service.intake_assessments(session, registry, invitation, client)
        zone = await service.time_zone_of(session, invitation.organization_id)
    except AppError as error:
        await session.rollback()
        wanted = locales_wanted(request, lang)
        locale = negotiate_locale(wanted, LOCALES, LOCALES[0])
        if isinstance(error, Gone) and error.extensions.get("reason") == "used":
            readable = await submitted_feedback(session, registry, token, utcnow())
            if readable is not None:
                spent, completed = readable
                if lang is None and spent.language in LOCALES:
                    locale = spent.language
                organization = await organization_support(session, spent.organization_id)
                return feedback_page(
                    completed,
                    registry,
                    locale,
                    wanted,
                    organization,
                    readable_until=spent.expires_at,
                    time_zone=await service.time_zone_of(session, spent.organization_id),
                )
        return _error_page(error, locale)
    step = min(step, page_count(parts))
    left_out = _withdrawn_titles(registry, invitation, locale)
    state = FormState(
        token, step, lang, invitation.expires_at, zone, saved=saved, withdrawn=left_out
    )
    if check:
        part, shown = page_part(parts, step)
        gaps = service.missing_answers([part]).get(part.definition.id, [])
        missing = {part.definition.id: [item for item in gaps if item in shown]}
        state = FormState(
            token, step, lang, invitation.expires_at, zone, missing=missing, withdrawn=left_out
        )
    return form_page(parts, state, locale, wanted)


@dataclass(frozen=True)
class Visit:
    """One request to a live link: who, in which language, and the parts of the form."""

    token: str
    lang: str | None
    locale: str
    wanted: list[str]
    invitation: Invitation
    client: Client
    parts: list[Part]


@router.post("/{token}")
async def answer_form(
    token: Token,
    request: Request,
    session: SessionDep,
    registry: RegistryDep,
    limiter: Limiter,
) -> Response:
    """Save this page's answers, then move (next, back, save), switch language, or submit.

    A language switch (`switch`) or the language the page was shown in by choice (`lang`)
    is remembered on the invitation, so the link opens in it next time.
    """
    form = await request.form()
    switch = _text(form, "switch") if _text(form, "switch") in LOCALES else None
    lang = switch or (_text(form, "lang") if _text(form, "lang") in LOCALES else None)
    wanted = locales_wanted(request, lang)
    locale = negotiate_locale(wanted, LOCALES, LOCALES[0])
    try:
        invitation, client = await _open(request, session, limiter, token)
        parts = await service.intake_assessments(session, registry, invitation, client)
        pages = page_count(parts)
        step = min(max(_number(_text(form, "step")) or 1, 1), pages)
        part, _ = page_part(parts, step)
        try:
            await service.save_intake_answers(session, registry, part, _answers(form, part))
        except InvalidInput as refused:
            # Only a tampered form sends a value that is no option: nothing of this page is
            # saved, and the page comes back with those questions marked, like a gap.
            await session.rollback()
            visit = Visit(token, lang, locale, wanted, invitation, client, parts)
            return await _refused_answers(request, session, registry, limiter, visit, step, refused)
        if lang is not None:
            remember_language(invitation, lang)
        action = _text(form, "action")
        if switch is None and action == "submit":
            visit = Visit(token, lang, locale, wanted, invitation, client, parts)
            consent = _text(form, "consent") == "yes"
            return await _submit(session, registry, visit, consent, request.app.state.settings)
        moved = step if switch else {"next": step + 1, "back": step - 1}.get(action, step)
        extra = {"saved": "1"} if action == "save" and switch is None else {}
        # The language is on the invitation now: the address needs no `lang`.
        return _redirect(page_url(token, min(max(moved, 1), pages), **extra))
    except AppError as error:
        # The request failed: nothing it did is kept (the session commits only on success).
        await session.rollback()
        return _error_page(error, locale)


async def _submit(
    session: SessionDep, registry: RegistryDep, visit: Visit, consent: bool, settings: Settings
) -> Response:
    """Send every answer; or show what is missing (422), keeping the answers just saved."""
    try:
        completed = await service.submit_intake(
            session, registry, visit.invitation, visit.client, visit.parts, consent, visit.locale
        )
    except MissingAnswers as error:
        state = FormState(
            visit.token,
            first_page_missing(visit.parts, error.missing),
            visit.lang,
            visit.invitation.expires_at,
            await service.time_zone_of(session, visit.invitation.organization_id),
            consent=consent,
            missing=error.missing,
            withdrawn=_withdrawn_titles(registry, visit.invitation, visit.locale),
        )
        return form_page(visit.parts, state, visit.locale, visit.wanted, status_code=422)
    await notify_flagged(session, settings, visit.invitation.id)
    if visit.invitation.show_feedback:
        organization = await organization_support(session, visit.invitation.organization_id)
        return feedback_page(
            completed,
            registry,
            visit.locale,
            visit.wanted,
            organization,
            readable_until=visit.invitation.expires_at,
            time_zone=await service.time_zone_of(session, visit.invitation.organization_id),
        )
    return message_page("thanks", visit.locale, 200)


async def _refused_answers(
    request: Request,
    session: SessionDep,
    registry: RegistryDep,
    limiter: Limiter,
    visit: Visit,
    step: int,
    refused: InvalidInput,
) -> Response:
    """The page again (422), its refused answers marked as questions still to answer."""
    invitation, client = await _open(request, session, limiter, visit.token)
    parts = await service.intake_assessments(session, registry, invitation, client)
    part, _ = page_part(parts, step)
    pointers = [str(e.get("pointer", "")) for e in refused.extensions.get("errors", [])]
    marked = [p.removeprefix("#/answers/") for p in pointers]
    state = FormState(
        visit.token,
        step,
        visit.lang,
        invitation.expires_at,
        await service.time_zone_of(session, invitation.organization_id),
        missing={part.definition.id: marked},
    )
    return form_page(parts, state, visit.locale, visit.wanted, status_code=422)


async def _open(
    request: Request, session: SessionDep, limiter: Limiter, token: str
) -> tuple[Invitation, Client]:
    """The live invitation of the link; an unknown token counts against the address.

    A link's own token is looked up first and never counted: it works however many wrong
    ones others sent from the same address (a clinic's Wi-Fi), and while the counting Redis
    is down. That is safe because tokens are 256 random bits, which no number of tries
    guesses; the count only stops an address from hammering the database with guesses.
    """
    try:
        return await service.open_invitation(session, token)
    except NotFound:
        settings = request.app.state.settings
        bucket = Bucket(
            settings.token_failures_limit, ("intake-token", address_key(client_address(request)))
        )
        await limiter.reserve(bucket)  # 429 once the address has used up its failures
        raise


def _withdrawn_titles(registry: Registry, invitation: Invitation, locale: str) -> tuple[str, ...]:
    """The titles of the link's questionnaires no longer offered here, for the form's notice."""
    return tuple(
        localized(d.title, locale, d.default_locale)
        for d in service.withdrawn(registry, invitation)
    )


def _error_page(error: AppError, locale: str) -> Response:
    """A kind page for an error: what happened and what to do, never who is to blame."""
    if isinstance(error, Gone):
        return message_page(error.extensions.get("reason", "used"), locale, 410)
    if isinstance(error, Conflict):
        return message_page("conflict", locale, 409)
    return status_page(error.status, locale, getattr(error, "retry_after", None))


def _answers(form: Mapping[str, object], part: Part) -> dict[str, int | None]:
    """The answers this page sent: one radio group per item (absent when left blank).

    A browser sends only the page's own items; any item of the page's questionnaire is
    taken, so a script posting a whole questionnaire at once keeps working.
    """
    answers: dict[str, int | None] = {}
    for item in part.definition.items:
        raw = _text(form, f"answer-{item.id}")
        if raw:
            value = _number(raw)
            if value is None:
                raise InvalidInput(
                    "An answer is not one of the options.",
                    errors=[{"pointer": f"#/answers/{item.id}", "detail": "not an option"}],
                )
            answers[item.id] = value
    return answers


def _text(form: Mapping[str, object], name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _number(raw: str) -> int | None:
    try:
        return int(raw)
    except ValueError:
        return None


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303, headers=dict(SECURITY_HEADERS))
