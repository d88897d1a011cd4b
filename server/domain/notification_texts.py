"""What each notification says, in Spanish and English. Pure.

One title and body per type, variant and locale; the values come from the event and a few
facts looked up once per event (a course's title, a student's name). Times are shown in the
recipient's time zone.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from server.domain.notification_preferences import Locale

Texts = dict[Locale, tuple[str, str]]

TEXTS: dict[tuple[str, str], Texts] = {
    ("enrollment.created", "default"): {
        "es": ("Inscripción confirmada", "Te inscribiste en «{course}»."),
        "en": ("Enrollment confirmed", "You are enrolled in “{course}”."),
    },
    ("member.status_changed", "approved"): {
        "es": ("¡Aprobaste!", "Tu resultado en «{course}»: aprobado."),
        "en": ("You passed!", "Your result in “{course}”: passed."),
    },
    ("member.status_changed", "failed"): {
        "es": ("Resultado del curso", "Tu resultado en «{course}»: no aprobado."),
        "en": ("Course result", "Your result in “{course}”: not passed."),
    },
    ("member.status_changed", "removed"): {
        "es": ("Ya no estás en el curso", "Te dieron de baja de «{course}»."),
        "en": ("Removed from a course", "You were removed from “{course}”."),
    },
    ("assistant.assigned", "default"): {
        "es": ("Eres ayudante", "Ahora eres ayudante en «{course}»."),
        "en": ("You are an assistant", "You are now an assistant in “{course}”."),
    },
    ("assistant.revoked", "default"): {
        "es": ("Ya no eres ayudante", "Ya no eres ayudante en «{course}»."),
        "en": ("No longer an assistant", "You are no longer an assistant in “{course}”."),
    },
    ("assignment.published", "default"): {
        "es": ("Nueva actividad en {course}", "«{title}» vence el {due}."),
        "en": ("New assignment in {course}", "“{title}” is due {due}."),
    },
    ("assignment.updated", "default"): {
        "es": ("Cambió una fecha de entrega", "«{title}» ({course}) ahora vence el {due}."),
        "en": ("A due date changed", "“{title}” ({course}) is now due {due}."),
    },
    ("deadline.reminder", "24h"): {
        "es": ("Vence mañana: {title}", "«{title}» ({course}) vence el {due} y aún no entregaste."),
        "en": (
            "Due tomorrow: {title}",
            "“{title}” ({course}) is due {due}; you haven't submitted.",
        ),
    },
    ("deadline.reminder", "1h"): {
        "es": ("Vence en una hora: {title}", "«{title}» ({course}) vence el {due}."),
        "en": ("Due in one hour: {title}", "“{title}” ({course}) is due {due}."),
    },
    ("submission.created", "default"): {
        "es": ("Nueva entrega en {course}", "{student} entregó «{title}»."),
        "en": ("New submission in {course}", "{student} submitted “{title}”."),
    },
    ("grade.published", "default"): {
        "es": ("Calificación publicada", "Obtuviste {score}/{max_score} en «{title}»."),
        "en": ("Grade published", "You got {score}/{max_score} on “{title}”."),
    },
    ("feedback.received", "default"): {
        "es": ("Recibiste una valoración", "Tienes una nueva valoración en «{course}»."),
        "en": ("New feedback for you", "You have new feedback in “{course}”."),
    },
    ("course.deleted", "default"): {
        "es": ("Curso eliminado", "El curso «{course}» fue eliminado."),
        "en": ("Course deleted", "The course “{course}” was deleted."),
    },
    ("rule.published", "default"): {
        "es": (
            "Nueva norma: {title}",
            "Se publicó «{title}» (versión {version}). Léela y acéptala.",
        ),
        "en": (
            "New rule: {title}",
            "“{title}” (version {version}) was published. Read and accept it.",
        ),
    },
    ("course.at_risk_digest", "default"): {
        "es": ("Estudiantes en riesgo en {course}", "{count} estudiante(s) necesitan atención."),
        "en": ("Students at risk in {course}", "{count} student(s) need attention."),
    },
    ("forum.answer_created", "default"): {
        "es": ("Nueva respuesta en el foro", "Respondieron «{title}» en {course}."),
        "en": ("New answer in the forum", "Someone answered “{title}” in {course}."),
    },
    ("forum.mentioned", "default"): {
        "es": ("Te mencionaron en el foro", "Te mencionaron en «{title}» en {course}."),
        "en": ("You were mentioned in the forum", "You were mentioned in “{title}” in {course}."),
    },
    ("account.blocked", "default"): {
        "es": ("Tu cuenta fue bloqueada", "Motivo: {reason}."),
        "en": ("Your account was blocked", "Reason: {reason}."),
    },
    ("account.blocked", "until"): {
        "es": ("Tu cuenta fue bloqueada", "Motivo: {reason}. Hasta el {until}."),
        "en": ("Your account was blocked", "Reason: {reason}. Until {until}."),
    },
    ("account.unblocked", "default"): {
        "es": ("Tu cuenta fue desbloqueada", "Ya puedes volver a ingresar."),
        "en": ("Your account was unblocked", "You can sign in again."),
    },
    ("account.locked", "default"): {
        "es": (
            "Inicio de sesión bloqueado por un rato",
            "Hubo demasiados intentos fallidos. Si no fuiste tú, cambia tu contraseña.",
        ),
        "en": (
            "Sign-in locked for a while",
            "There were too many failed attempts. If it wasn't you, change your password.",
        ),
    },
    ("account.password_changed", "default"): {
        "es": ("Tu contraseña cambió", "Si no fuiste tú, restablécela ahora."),
        "en": ("Your password was changed", "If this wasn't you, reset it now."),
    },
    ("account.google_linked", "default"): {
        "es": ("Cuenta de Google vinculada", "Si no fuiste tú, cambia tu contraseña y avísanos."),
        "en": ("Google account linked", "If this wasn't you, change your password and tell us."),
    },
}

_MONTHS_EN = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()


def local_time(value: str | datetime, *, locale: Locale, timezone: str) -> str:
    """`07/01/2026 09:00` (es) or `Jan 7, 2026 09:00` (en), in the recipient's zone."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    local = moment.astimezone(ZoneInfo(timezone))
    clock = f"{local:%H:%M}"
    if locale == "es":
        return f"{local:%d/%m/%Y} {clock}"
    return f"{_MONTHS_EN[local.month - 1]} {local.day}, {local.year} {clock}"


def _number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def render(
    type: str, variant: str, values: dict[str, Any], *, locale: Locale, timezone: str
) -> tuple[str, str]:
    """(title, body) in the locale; `due` and `until` are shown in `timezone`."""
    shown = {k: _number(v) if k in ("score", "max_score") else v for k, v in values.items()}
    for key, source in (("due", "due_at"), ("until", "until")):
        if values.get(source):
            shown[key] = local_time(values[source], locale=locale, timezone=timezone)
    title, body = TEXTS[(type, variant)][locale]
    return title.format_map(_Blank(shown)), body.format_map(_Blank(shown))


class _Blank(dict):
    """A value the event did not carry shows as nothing rather than failing the batch."""

    def __missing__(self, key: str) -> str:
        return ""
