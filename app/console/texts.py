"""The console's interface strings, in one place per language (English; Spanish can follow).

Texts follow the project's voice: plain and short, no exclamation marks, never blaming.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

_EN = {
    "site": "Attune",
    "console": "Staff console",
    "skip": "Skip to the main content",
    "nav_dashboard": "Dashboard",
    "nav_clients": "Clients",
    "nav_users": "Users",
    "nav_webhook": "Webhook",
    "nav_audit": "Audit log",
    "nav_research": "Research",
    "sign_in": "Sign in",
    "sign_out": "Sign out",
    "signed_out": "You are signed out.",
    "sign_in_failed": "The email or password is wrong, or the account is deactivated.",
    "sign_in_wait": "Too many failed sign-ins from your connection. Please try again in "
    "{minutes} minute(s).",
    "error_summary": "There is a problem",
    "not_found_title": "Page not found",
    "not_found_body": "There is no such page, or it is not one you can see.",
    "forbidden_title": "Not allowed",
    "refused_title": "Request refused",
    "conflict_title": "This cannot be done",
    "problem_title": "Something went wrong",
    "problem_body": "Nothing was saved. Please go back and try again.",
    "back_to_dashboard": "Back to the dashboard",
    "client_added": "The client was added.",
    "client_saved": "The changes were saved.",
    "link_revoked": "The link was revoked: it no longer opens.",
    "link_again": "That link was already made, and a link is shown only once. If it was not "
    "passed on, revoke it below and send a new one.",
    "user_added": "The user was added.",
    "user_saved": "The change was saved.",
    "study_created": "The study was created.",
    "period_backwards": "The period ends before it starts.",
    "no_version": "There is no such version.",
    "no_study": "Your organization has no such study.",
}

STRINGS: Mapping[str, Mapping[str, str]] = MappingProxyType({"en": MappingProxyType(_EN)})


def texts(locale: str = "en") -> Mapping[str, str]:
    """The strings of a locale (English when it has none)."""
    return STRINGS.get(locale, STRINGS["en"])
