"""Email templates, rendered purely from a template name and its params.

Each template declares the params it needs, so a typo is refused when the email is enqueued
(inside the caller's transaction), not discovered later by the background sender.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from server.domain.errors import DomainError


class UnknownTemplate(DomainError):
    code = "unknown_email_template"
    default_message = "No such email template."


class MissingTemplateParams(DomainError):
    code = "email_params_missing"
    default_message = "The email template needs more params."


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class Template:
    params: frozenset[str]
    subject: Callable[[Mapping[str, Any]], str]
    # Paragraphs of plain text; the HTML part is built from the same paragraphs so the two
    # versions can never disagree.
    body: Callable[[Mapping[str, Any]], list[str]]


def _verify_email(p: Mapping[str, Any]) -> list[str]:
    return [
        f"Hi {p['name']},",
        f"Your ClassConnect verification code is {p['pin']}.",
        f"It is valid for {p['minutes_valid']} minutes and can be used once.",
        "If you did not create an account, you can ignore this email.",
    ]


def _password_reset(p: Mapping[str, Any]) -> list[str]:
    return [
        f"Hi {p['name']},",
        "Someone asked to reset the password of your ClassConnect account.",
        f"Your reset token is: {p['token']}",
        f"Paste it into the app within {p['minutes_valid']} minutes. It works once.",
        "If it was not you, ignore this email; your password stays as it is.",
    ]


def _account_locked(p: Mapping[str, Any]) -> list[str]:
    return [
        f"Hi {p['name']},",
        "There were several failed attempts to log in to your ClassConnect account, so it is "
        f"locked for {p['minutes']} minutes.",
        "If this was not you, consider changing your password once the lock ends.",
    ]


# Sign-up with a taken address tells its owner instead of the caller (no account enumeration).
# Spanish unless the owner chose English, like the notification emails.
_ACCOUNT_EXISTS: dict[str, tuple[str, list[str]]] = {
    "es": (
        "Alguien intentó crear una cuenta de ClassConnect con tu email",
        [
            "Hola {name}:",
            "Alguien (quizás vos) intentó crear una cuenta de ClassConnect con este email, "
            "pero este email ya tiene una cuenta.",
            "Si fuiste vos, iniciá sesión en la app; si no recordás la contraseña, podés "
            "restablecerla desde la pantalla de inicio de sesión.",
            "Si no fuiste vos, ignorá este mensaje: tu cuenta no cambió.",
        ],
    ),
    "en": (
        "Someone tried to create a ClassConnect account with your email",
        [
            "Hi {name},",
            "Someone (maybe you) tried to create a ClassConnect account with this email, but "
            "this email already has an account.",
            "If it was you, log in to the app; if you forgot your password, you can reset it "
            "from the login screen.",
            "If it was not you, ignore this email: your account has not changed.",
        ],
    ),
}


def email_language(locale: str | None) -> str:
    """`es` or `en` for a profile locale such as `en-GB` (Spanish when unset or other)."""
    language = (locale or "").split("-")[0].lower()
    return language if language in _ACCOUNT_EXISTS else "es"


def _in_locale(p: Mapping[str, Any]) -> tuple[str, list[str]]:
    return _ACCOUNT_EXISTS[email_language(str(p["locale"]))]


TEMPLATES: dict[str, Template] = {
    "verify_email": Template(
        frozenset({"name", "pin", "minutes_valid"}),
        lambda p: f"Your ClassConnect code: {p['pin']}",
        _verify_email,
    ),
    "password_reset": Template(
        frozenset({"name", "token", "minutes_valid"}),
        lambda p: "Reset your ClassConnect password",
        _password_reset,
    ),
    "account_locked": Template(
        frozenset({"name", "minutes"}),
        lambda p: "Your ClassConnect account is temporarily locked",
        _account_locked,
    ),
    "account_exists": Template(
        frozenset({"name", "locale"}),
        lambda p: _in_locale(p)[0],
        lambda p: [line.format(name=p["name"]) for line in _in_locale(p)[1]],
    ),
}


def validate(template: str, params: Mapping[str, Any]) -> None:
    """Raise unless `template` exists and `params` has everything it uses."""
    spec = TEMPLATES.get(template)
    if spec is None:
        raise UnknownTemplate(
            f"No email template named {template!r}.", details=[{"template": template}]
        )
    missing = sorted(spec.params - set(params))
    if missing:
        raise MissingTemplateParams(details=[{"template": template, "missing": missing}])


def render(template: str, params: Mapping[str, Any]) -> RenderedEmail:
    validate(template, params)
    spec = TEMPLATES[template]
    paragraphs = spec.body(params)
    text = "\n\n".join(paragraphs) + "\n"
    body = "".join(f"<p>{html.escape(str(par))}</p>" for par in paragraphs)
    page = f"<!doctype html><html><body>{body}</body></html>"
    return RenderedEmail(subject=spec.subject(params), text=text, html=page)
