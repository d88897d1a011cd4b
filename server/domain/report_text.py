"""Every sentence analytics shows a person, in Spanish and English. Pure.

Numbers are formatted here too (a decimal comma in Spanish), so the PDF, the at-risk reasons
and the digest say the same thing the same way.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from server.domain.display import LOCALES, Locale

LABELS: dict[str, dict[Locale, str]] = {
    "course_report": {"es": "Informe del curso", "en": "Course report"},
    "student_report": {"es": "Informe de progreso", "en": "Progress report"},
    "generated": {"es": "Generado el", "en": "Generated on"},
    "summary": {"es": "Resumen", "en": "Summary"},
    "figure": {"es": "Indicador", "en": "Figure"},
    "value": {"es": "Valor", "en": "Value"},
    "grade_bands": {
        "es": "Notas publicadas por tramo (% de la nota máxima)",
        "en": "Published grades per band (% of the maximum score)",
    },
    "students": {"es": "Estudiantes", "en": "Students"},
    "student": {"es": "Estudiante", "en": "Student"},
    "assignments": {"es": "Tareas", "en": "Assignments"},
    "assignment": {"es": "Tarea", "en": "Assignment"},
    "average": {"es": "Promedio", "en": "Average"},
    "completion": {"es": "Entregas", "en": "Completion"},
    "on_time": {"es": "A tiempo", "en": "On time"},
    "late": {"es": "Tarde", "en": "Late"},
    "missing": {"es": "Faltantes", "en": "Missing"},
    "submitted": {"es": "Entregadas", "en": "Submitted"},
    "graded": {"es": "Calificadas", "en": "Graded"},
    "due": {"es": "Vence", "en": "Due"},
    "grade": {"es": "Nota", "en": "Grade"},
    "trend": {"es": "Tendencia", "en": "Trend"},
    "up": {"es": "en alza", "en": "rising"},
    "down": {"es": "en baja", "en": "falling"},
    "flat": {"es": "estable", "en": "steady"},
    "grade_distribution": {"es": "Distribución de notas", "en": "Grade distribution"},
    "trends": {"es": "Evolución en el tiempo", "en": "Trends over time"},
    "moving_average": {"es": "Media móvil", "en": "Moving average"},
    "submission_rate": {"es": "Tasa de entrega", "en": "Submission rate"},
    "completion_bars": {"es": "Entregas por tarea", "en": "Completion per assignment"},
    "assignment_table": {"es": "Detalle por tarea", "en": "Per assignment"},
    "student_table": {"es": "Detalle por estudiante", "en": "Per student"},
    "at_risk": {"es": "Estudiantes en riesgo", "en": "Students at risk"},
    "nobody_at_risk": {"es": "Nadie en riesgo.", "en": "Nobody at risk."},
    "feedback": {"es": "Resumen de comentarios", "en": "Feedback summary"},
    "ratings": {"es": "Valoraciones", "en": "Ratings"},
    "themes": {"es": "Temas recurrentes", "en": "Recurring themes"},
    "representative": {"es": "Comentarios representativos", "en": "Representative comments"},
    "no_feedback": {"es": "Sin comentarios todavía.", "en": "No feedback yet."},
    "no_data": {"es": "Sin datos en el período.", "en": "No data in this period."},
    "status": {"es": "Estado", "en": "Status"},
    "course": {"es": "Curso", "en": "Course"},
    "page": {"es": "Página", "en": "Page"},
    "week": {"es": "Semana", "en": "Week"},
    "month": {"es": "Mes", "en": "Month"},
    "not_submitted": {"es": "sin entregar", "en": "not handed in"},
    "pending": {"es": "pendiente", "en": "pending"},
}

REASONS: dict[str, dict[Locale, str]] = {
    "missed_assignments": {
        "es": "No entregó las últimas {count} tareas: {titles}.",
        "en": "Did not hand in the last {count} assignments: {titles}.",
    },
    "grade_drop": {
        "es": "Su promedio bajó {drop} puntos en sus últimos períodos calificados "
        "({first} → {last}).",
        "en": "Their average fell {drop} points over their last graded periods ({first} → {last}).",
    },
    "inactive": {
        "es": "Sin entregas ni actividad en el foro hace {days} días.",
        "en": "No submission or forum activity for {days} days.",
    },
    "inactive_never": {
        "es": "Sin entregas ni actividad en el foro desde que se inscribió, hace {days} días.",
        "en": "No submission or forum activity since enrolling {days} days ago.",
    },
}


def label(key: str, locale: Locale) -> str:
    return LABELS[key][locale]


def number(value: float | None, locale: Locale, digits: int = 1) -> str:
    if value is None:
        return "—"
    text = f"{value:,.{digits}f}"
    if locale == "es":  # 1,234.5 -> 1.234,5
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


def percent_text(rate: float | None, locale: Locale) -> str:
    """A 0..1 rate as a percentage."""
    return "—" if rate is None else f"{number(rate * 100, locale, 0)} %"


def moment(value: datetime, locale: Locale) -> str:
    """A local moment, numeric so it needs no month names: 12/01/2026 09:30 or 2026-01-12 09:30."""
    if locale == "es":
        return value.strftime("%d/%m/%Y %H:%M")
    return value.strftime("%Y-%m-%d %H:%M")


def day(value: datetime, locale: Locale) -> str:
    return value.strftime("%d/%m/%Y" if locale == "es" else "%Y-%m-%d")


def reason(rule: str, details: dict[str, Any], locale: Locale) -> str:
    """The reason in words; `details` holds the figures (see `server.domain.at_risk`)."""
    if rule == "missed_assignments":
        return REASONS[rule][locale].format(
            count=details["count"], titles=", ".join(f"«{t}»" for t in details["titles"])
        )
    if rule == "grade_drop":
        return REASONS[rule][locale].format(
            drop=number(details["drop"], locale),
            first=number(details["first"], locale),
            last=number(details["last"], locale),
        )
    key = "inactive" if details.get("last_activity_at") else "inactive_never"
    return REASONS[key][locale].format(days=details["days"])


def reason_in_every_locale(rule: str, details: dict[str, Any]) -> dict[str, str]:
    """For events: each recipient reads it in their own language."""
    return {loc: reason(rule, details, loc) for loc in LOCALES}
