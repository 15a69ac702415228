"""Rendering the intake pages: the interface strings in English and Spanish, and templates.

Texts follow CONTENT.md §4: second person, plain and short, no exclamation marks, never
blaming the person (a spent link is nobody's failing; the way forward is a new link).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any
from urllib.parse import urlencode

from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from app.assessments.presenters import present_result
from app.i18n import negotiate_locale
from app.intake.service import Completed, Part
from app.mail.messages import local_time
from app.questionnaires.registry import Registry
from app.questionnaires.schemas import localized, present
from app.questionnaires.support import OrganizationSupport
from app.web.headers import PAGE_HEADERS

LOCALES = ("en", "es")
#: Above this many gaps in one questionnaire, the error summary names the count, not each.
SUMMARY_ITEMS_PER_PART = 4
LANGUAGE_NAMES = MappingProxyType({"en": "English", "es": "Español"})

#: The token is in the address, so no page may leak it (Referer) or be kept by a cache; no
#: inline script or style is allowed, and no other site may frame or receive the form.
SECURITY_HEADERS = PAGE_HEADERS

_EN = {
    "site": "Attune",
    "title": "Questions from your therapist",
    "intro": (
        "Your therapist asked you to answer these questions. Your answers are saved each time "
        "you continue or save, so you can stop and come back with the same link until {expires}."
    ),
    "notice": (
        "This is a self-check, not a diagnosis. It can help you and your therapist talk about "
        "how you have been."
    ),
    "language": "Language",
    "part": "Part {step} of {total}",
    "answered": "{answered} of {total} questions answered",
    "question": "Question {number}",
    "saved": "Your answers are saved. You can close this page and come back with the same link.",
    "next": "Save and continue",
    "back": "Back",
    "save": "Save and finish later",
    "submit": "Send my answers",
    "consent": "You may use my answers, without my name, for research.",
    "consent_hint": "This is optional. Leaving it unticked changes nothing about your care.",
    "error_prefix": "Error",
    "error_summary": "Some questions still need an answer",
    "error_summary_hint": "Choose an answer for each question below, then send your answers.",
    "error_item": "Please choose an answer to this question.",
    "part_missing": "{title}: {count} questions still need an answer",
    "feedback_title": "What your answers suggest",
    "feedback_intro": "Your answers were sent to your therapist. Here is what they suggest.",
    "readable_until": (
        "You can open this page again with the same link until {expires}. Your answers "
        "cannot be changed."
    ),
    "why": "Why this matters",
    "helps": "What may help",
    "thanks_title": "Thank you",
    "thanks_body": "Your answers were sent to your therapist. You can close this page now.",
    "your_data": (
        "Your answers are yours. If you no longer want them used for research, or you want "
        "them deleted, tell your therapist or the clinic: they will do it for you."
    ),
    "gone_title": "This link can no longer be used",
    "gone_used": "The questions for this link have already been answered.",
    "gone_expired": "The time for this link has run out.",
    "gone_revoked": "This link was withdrawn.",
    "gone_conflict": "Your answers were just sent from another window or tab.",
    "gone_withdrawn": "The questions of this link are no longer offered here.",
    "withdrawn": (
        "{titles} is no longer offered here, so it has been left out. You do not need to do "
        "anything about it; the other questions work as before."
    ),
    "gone_next": "If you would like to answer again, please ask your therapist for a new one.",
    "missing_title": "We cannot find this link",
    "missing_body": (
        "Please check that you copied the whole address. If it still does not open, "
        "please ask your therapist to send it again."
    ),
    "wait_title": "Please wait a little",
    "wait_body": (
        "There were many tries to open links from your connection, so we paused them for "
        "your safety. Please try again in {minutes} minute(s)."
    ),
    "problem_title": "Something went wrong",
    "problem_body": "Your answers may not have been saved. Please go back and try again.",
    "unavailable_title": "This page is briefly unavailable",
    "unavailable_body": (
        "Please try again in a minute or two. The answers you saved before are kept."
    ),
}

_ES = {
    "site": "Attune",
    "title": "Preguntas de tu terapeuta",
    "intro": (
        "Tu terapeuta te pidió responder a estas preguntas. Tus respuestas se guardan cada vez "
        "que continúas o guardas, así que puedes parar y volver con el mismo enlace hasta el "
        "{expires}."
    ),
    "notice": (
        "Esto es una autoevaluación, no un diagnóstico. Puede ayudarte a hablar con tu "
        "terapeuta de cómo has estado."
    ),
    "language": "Idioma",
    "part": "Parte {step} de {total}",
    "answered": "{answered} de {total} preguntas respondidas",
    "question": "Pregunta {number}",
    "saved": "Tus respuestas están guardadas. Puedes cerrar esta página y volver con el mismo "
    "enlace.",
    "next": "Guardar y continuar",
    "back": "Atrás",
    "save": "Guardar y terminar más tarde",
    "submit": "Enviar mis respuestas",
    "consent": "Se pueden usar mis respuestas, sin mi nombre, para investigación.",
    "consent_hint": "Es opcional. Si no lo marcas, nada cambia en tu atención.",
    "error_prefix": "Error",
    "error_summary": "Algunas preguntas todavía necesitan respuesta",
    "error_summary_hint": "Elige una respuesta para cada pregunta y luego envía tus respuestas.",
    "error_item": "Elige una respuesta para esta pregunta.",
    "part_missing": "{title}: {count} preguntas todavía necesitan respuesta",
    "feedback_title": "Lo que sugieren tus respuestas",
    "feedback_intro": "Tus respuestas se enviaron a tu terapeuta. Esto es lo que sugieren.",
    "readable_until": (
        "Puedes volver a abrir esta página con el mismo enlace hasta el {expires}. Tus "
        "respuestas ya no se pueden cambiar."
    ),
    "why": "Por qué importa",
    "helps": "Qué puede ayudar",
    "thanks_title": "Gracias",
    "thanks_body": "Tus respuestas se enviaron a tu terapeuta. Ya puedes cerrar esta página.",
    "your_data": (
        "Tus respuestas son tuyas. Si ya no quieres que se usen para investigación, o quieres "
        "que se borren, díselo a tu terapeuta o a la clínica: lo harán por ti."
    ),
    "gone_title": "Este enlace ya no se puede usar",
    "gone_used": "Las preguntas de este enlace ya se respondieron.",
    "gone_expired": "El plazo de este enlace terminó.",
    "gone_revoked": "Este enlace se retiró.",
    "gone_conflict": "Tus respuestas se acaban de enviar desde otra ventana o pestaña.",
    "gone_withdrawn": "Las preguntas de este enlace ya no se ofrecen aquí.",
    "withdrawn": (
        "{titles} ya no se ofrece aquí, así que se ha dejado fuera. No tienes que hacer nada; "
        "las demás preguntas funcionan como antes."
    ),
    "gone_next": "Si quieres responder de nuevo, pide a tu terapeuta un enlace nuevo.",
    "missing_title": "No encontramos este enlace",
    "missing_body": (
        "Comprueba que copiaste la dirección completa. Si aun así no se abre, pide a tu "
        "terapeuta que te lo envíe de nuevo."
    ),
    "wait_title": "Espera un poco, por favor",
    "wait_body": (
        "Hubo muchos intentos de abrir enlaces desde tu conexión, así que los pausamos por tu "
        "seguridad. Vuelve a intentarlo en {minutes} minuto(s)."
    ),
    "problem_title": "Algo salió mal",
    "problem_body": "Puede que tus respuestas no se hayan guardado. Vuelve atrás e inténtalo "
    "de nuevo.",
    "unavailable_title": "Esta página no está disponible por un momento",
    "unavailable_body": (
        "Inténtalo de nuevo en un minuto o dos. Las respuestas que guardaste se conservan."
    ),
}

STRINGS: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {"en": MappingProxyType(_EN), "es": MappingProxyType(_ES)}
)

_templates = Environment(
    loader=PackageLoader("app.intake", "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def render(
    template: str,
    locale: str,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """A page in `locale`, with the intake's security headers."""
    html = _templates.get_template(template).render(
        locale=locale, t=STRINGS[locale], languages=LANGUAGE_NAMES, **context
    )
    return HTMLResponse(
        html,
        status_code=status_code,
        headers={**SECURITY_HEADERS, "Content-Language": locale, **(headers or {})},
    )


def page_url(token: str, step: int, lang: str | None, **extra: str) -> str:
    """The address of one step of the form (keeping an explicitly chosen language)."""
    query = {"step": str(step), **({"lang": lang} if lang else {}), **extra}
    return f"/intake/{token}?{urlencode(query)}"


def input_id(item_id: str, value: int) -> str:
    """The id of one radio input: a label's `for` and an error link's target."""
    return f"answer-{item_id}-{value}"


@dataclass(frozen=True)
class FormState:
    """Where the person is in the form and what to show besides the questions."""

    token: str
    step: int
    lang: str | None
    expires_at: datetime
    saved: bool = False
    consent: bool = False
    missing: Mapping[str, list[str]] = field(default_factory=dict)
    #: titles of the link's questionnaires no longer offered here (left out, said kindly).
    withdrawn: tuple[str, ...] = ()


def form_page(
    parts: list[Part], state: FormState, locale: str, wanted: list[str], status_code: int = 200
) -> HTMLResponse:
    """One step of the form: one questionnaire, its progress, and any missing answers."""
    part = parts[state.step - 1]
    definition = part.definition
    content_locale = negotiate_locale(
        [locale, *wanted], definition.locales, definition.default_locale
    )
    view = present(definition, part.assessment.definition_hash, content_locale)
    return render(
        "form.html",
        locale,
        status_code,
        state=state,
        view=view,
        answers=part.assessment.answers,
        errors=set(state.missing.get(definition.id, [])),
        summary=_error_summary(parts, state, locale),
        total_steps=len(parts),
        answered=sum(len(p.assessment.answers) for p in parts),
        total_items=sum(len(p.definition.items) for p in parts),
        switch={code: page_url(state.token, state.step, code) for code in LOCALES},
        action=f"/intake/{state.token}",
        page_url=page_url,
        input_id=input_id,
    )


def _error_summary(parts: list[Part], state: FormState, locale: str) -> list[tuple[str, str]]:
    """(link, text) per missing answer, leading to its question on whichever step.

    A part with many gaps gets one line (to its first gap), so the summary stays short.
    """
    entries = []
    for number, part in enumerate(parts, start=1):
        definition = part.definition
        gaps = [
            (position, item)
            for position, item in enumerate(definition.items, start=1)
            if item.id in state.missing.get(definition.id, [])
        ]
        for position, item in gaps:
            # The question's fieldset: without script a link cannot focus an input, but the
            # next Tab from the fieldset lands on the question's first option.
            anchor = f"#item-{item.id}"
            href = (
                anchor
                if number == state.step
                else (page_url(state.token, number, state.lang, check="1") + anchor)
            )
            if len(gaps) > SUMMARY_ITEMS_PER_PART:
                title = localized(definition.title, locale, definition.default_locale)
                text = STRINGS[locale]["part_missing"].format(title=title, count=len(gaps))
                entries.append((href, text))
                break
            text = localized(item.text, locale, definition.default_locale)
            entries.append((href, f"{STRINGS[locale]['question'].format(number=position)}: {text}"))
    return entries


def feedback_page(
    completed: Completed,
    registry: Registry,
    locale: str,
    wanted: list[str],
    organization: OrganizationSupport | None = None,
    readable_until: datetime | None = None,
) -> HTMLResponse:
    """The feedback of every questionnaire; support first if any result raised a flag.

    With `readable_until`, the page says until when the link shows it again.
    """
    sections = []
    for part, result in completed.parts:
        read = present_result(
            part.assessment, result, part.definition, registry, [locale, *wanted], organization
        )
        title = localized(part.definition.title, read.locale, part.definition.default_locale)
        sections.append((title, read))
    feedbacks = [read.feedback for _, read in sections]
    urgent = next((f.support for f in feedbacks if f.support_first), None)
    return render(
        "feedback.html",
        locale,
        sections=sections,
        support=urgent or feedbacks[0].support,
        support_first=urgent is not None,
        notice=feedbacks[0].notice,
        crisis=feedbacks[0].crisis,
        until=local_time(readable_until, locale, "UTC") if readable_until else None,
    )


def message_page(
    kind: str,
    locale: str,
    status_code: int,
    headers: Mapping[str, str] | None = None,
    **values: str,
) -> HTMLResponse:
    """A page that only says something: thanks, a spent or unknown link, a pause."""
    strings = STRINGS[locale]
    lines = [strings[key].format(**values) for key in _MESSAGE_LINES[kind]]
    return render(
        "message.html",
        locale,
        status_code,
        headers,
        title=strings[f"{_MESSAGE_TITLES.get(kind, kind)}_title"],
        lines=lines,
    )


_MESSAGE_LINES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "thanks": ("thanks_body", "your_data"),
        "used": ("gone_used", "gone_next"),
        "expired": ("gone_expired", "gone_next"),
        "revoked": ("gone_revoked", "gone_next"),
        "conflict": ("gone_conflict", "gone_next"),
        "withdrawn": ("gone_withdrawn", "gone_next"),
        "missing": ("missing_body",),
        "wait": ("wait_body",),
        "problem": ("problem_body",),
        "unavailable": ("unavailable_body",),
    }
)
_MESSAGE_TITLES = MappingProxyType(
    {
        "used": "gone",
        "expired": "gone",
        "revoked": "gone",
        "conflict": "gone",
        "withdrawn": "gone",
    }
)


def status_page(status_code: int, locale: str, retry_after: int | None = None) -> HTMLResponse:
    """The page for an error known only by its status: a pause, a missing link, or a problem."""
    headers = {"Retry-After": str(retry_after)} if retry_after else {}
    if status_code == 429:
        minutes = str(max(1, ((retry_after or 60) + 59) // 60))
        return message_page("wait", locale, 429, headers, minutes=minutes)
    if status_code == 404:
        return message_page("missing", locale, 404)
    if status_code == 503:
        return message_page("unavailable", locale, 503, headers)
    return message_page("problem", locale, status_code, headers)
