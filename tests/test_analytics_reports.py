"""Reports through HTTP: the PDF read back with pypdf (course name, figures, section titles) and
rendered page by page with pdftoppm; CSV and XLSX with the trend columns; who may export what."""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from tests.analytics_helpers import course_history, set_preferences
from tests.assignment_helpers import START, auto_questions, fresh, published, right_answers, submit
from tests.course_helpers import API, cast

SECTIONS_ES = [
    "Informe del curso: Intro to Astronomy",
    "Generado el 05/02/2026 09:00 (America/Argentina/Buenos_Aires)",
    "Resumen",
    "Distribución de notas",
    "Evolución en el tiempo",
    "Entregas por tarea",
    "Detalle por tarea",
    "Estudiantes en riesgo",
    "Resumen de comentarios",
    "Temas recurrentes",
    "Comentarios representativos",
    "Detalle por estudiante",
]


def pdf_text(body: bytes) -> tuple[PdfReader, str]:
    reader = PdfReader(io.BytesIO(body))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return reader, re.sub(r"\s+", " ", text)


def render_pages(body: bytes, folder: Path) -> list[Path]:
    """Every page to PNG with poppler's pdftoppm; fails the test on any error it reports."""
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed: apt-get install -y poppler-utils")
    pdf = folder / "report.pdf"
    pdf.write_bytes(body)
    done = subprocess.run(
        ["pdftoppm", "-png", "-r", "60", str(pdf), str(folder / "page")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0 and not done.stderr, done.stderr
    return sorted(folder.glob("page-*.png"))


def has_no_raster_images(reader: PdfReader) -> bool:
    """The charts are vector drawings: no page carries an image XObject."""
    for page in reader.pages:
        xobjects = (page.get("/Resources") or {}).get("/XObject") or {}
        if any(x.get_object().get("/Subtype") == "/Image" for x in xobjects.values()):
            return False
    return True


async def test_course_pdf_reads_back_and_renders(client, users, clock, tmp_path):
    h = await course_history(client, users, clock)
    resp = await client.get(
        f"{API}/courses/{h.c.course_id}/stats/export", headers=h.headers(users, "owner")
    )
    assert resp.status == 200, await resp.text()
    assert resp.content_type == "application/pdf"
    assert resp.headers["Content-Disposition"] == (
        f'attachment; filename="course-{h.c.course_id}-report.pdf"'
    )
    body = await resp.read()
    reader, text = pdf_text(body)
    assert reader.metadata.title == "Intro to Astronomy"
    for section in SECTIONS_ES:
        assert section in text, section
    # Figures: the summary, the trend table (W03: 65 %, moving 82.5 %), both students' rows.
    for figure in ("2026-W03 1 65,0 % 82,5 % 100 % 50 % 1", "2026-W04 0 — 82,5 % — — —"):
        assert figure in text, figure
    assert "Estudiantes 2" in text and "Tareas 4" in text and "Promedio 86,7 %" in text
    assert "Sam Student 2 2 0 2 75,0 %" in text  # submitted, on time, late, missing, average
    assert "Sue Student 4 3 1 0 92,5 %" in text
    assert "Sam Student: No entregó las últimas 2 tareas: «Task A3», «Task A4»." in text
    assert "ejemplos prácticos" in text and "tareas largas" in text
    assert has_no_raster_images(reader)
    pages = render_pages(body, tmp_path)
    assert len(pages) == len(reader.pages) >= 2
    for png in pages:
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 2000


async def test_pdf_follows_the_callers_language_and_zone(client, users, clock, mongo):
    h = await course_history(client, users, clock)
    await set_preferences(mongo, h.c.assistant_with, locale="en", timezone="Europe/Madrid")
    resp = await client.get(
        f"{API}/courses/{h.c.course_id}/stats/export", headers=h.headers(users, "assistant_with")
    )
    _, text = pdf_text(await resp.read())
    assert "Course report: Intro to Astronomy" in text
    assert "Generated on 2026-02-05 13:00 (Europe/Madrid)" in text
    assert "Students at risk" in text and "Average 86.7 %" in text
    assert "Did not hand in the last 2 assignments" in text
    override = await client.get(
        f"{API}/courses/{h.c.course_id}/stats/export",
        params={"tz": "Asia/Tokyo"},
        headers=h.headers(users, "assistant_with"),
    )
    assert "Generated on 2026-02-05 21:00 (Asia/Tokyo)" in pdf_text(await override.read())[1]


async def test_my_pdf_has_only_my_figures(client, users, clock, tmp_path):
    h = await course_history(client, users, clock)
    resp = await client.get(f"{API}/users/me/stats/export", headers=h.headers(users, "sam"))
    assert resp.status == 200, await resp.text()
    body = await resp.read()
    reader, text = pdf_text(body)
    assert "Informe de progreso: Sam Student" in text
    assert "Curso: Intro to Astronomy" in text
    assert "Promedio 75,0 %" in text and "Faltantes 2" in text
    assert "Task A3" in text and "sin entregar" in text
    assert "entregas pendientes" in text  # the staff's feedback to Sam, summarised
    for someone_else in ("Sue Student", "Excelente constancia", "92,5 %", "80,0 %"):
        assert someone_else not in text, someone_else
    assert has_no_raster_images(reader)
    assert len(render_pages(body, tmp_path)) == len(reader.pages)


def base_fonts(reader: PdfReader) -> set[str]:
    fonts = set()
    for page in reader.pages:
        for font in ((page.get("/Resources") or {}).get("/Font") or {}).values():
            fonts.add(str(font.get_object()["/BaseFont"]).lstrip("/").split("+")[-1])  # subset
    return fonts


async def test_names_in_other_scripts_print_in_the_embedded_face(client, users, clock, db):
    h = await course_history(client, users, clock)
    await db.execute("UPDATE users SET name = 'Иван Σοφία' WHERE name = 'Sam Student'")
    await db.execute("UPDATE courses SET title = 'Астрономия ★' WHERE title = 'Intro to Astronomy'")
    resp = await client.get(
        f"{API}/courses/{h.c.course_id}/stats/export", headers=h.headers(users, "owner")
    )
    reader, text = pdf_text(await resp.read())
    assert "Informe del curso: Астрономия ★" in text
    assert "Иван Σοφία 2 2 0 2 75,0 %" in text  # the student's row, not ■
    assert base_fonts(reader) <= {"DejaVuSans", "DejaVuSans-Bold"}  # embedded, nothing else


async def test_export_role_matrix(client, users, clock):
    h = await course_history(client, users, clock, feedback=False)
    expected = {"anonymous": 401, "other": 403, "sam": 403, "assistant_without": 200}
    expected |= {"owner": 200}
    for who, status in expected.items():
        headers = {} if who == "anonymous" else h.headers(users, who)
        resp = await client.get(f"{API}/courses/{h.c.course_id}/stats/export", headers=headers)
        assert resp.status == status, who
    mine = f"{API}/users/me/stats/export"
    for who in ("owner", "other"):
        params = {"course_id": h.c.course_id}
        resp = await client.get(mine, params=params, headers=h.headers(users, who))
        assert resp.status == 403, who
    nothing = await client.get(mine, headers=h.headers(users, "other"))
    assert nothing.status == 200
    assert "Sin datos en el período." in pdf_text(await nothing.read())[1]
    for bad in ({"format": "docx"}, {"format": "csv"}, {"course_id": "nope"}):
        resp = await client.get(mine, params=bad, headers=h.headers(users, "sam"))
        assert resp.status == 422, bad


async def test_csv_and_xlsx_carry_the_trend_columns(client, users, clock):
    h = await course_history(client, users, clock, feedback=False)
    owner = h.headers(users, "owner")
    base = f"{API}/courses/{h.c.course_id}"
    trends = await (await client.get(f"{base}/stats/trends", headers=owner)).json()
    resp = await client.get(f"{base}/stats/export?format=csv&table=trends", headers=owner)
    assert resp.status == 200 and resp.content_type == "text/csv"
    rows = list(csv.DictReader(io.StringIO(await resp.text())))
    assert [r["label"] for r in rows] == [b["label"] for b in trends["buckets"]]
    assert [r["moving_average_percent"] for r in rows] == ["100.0", "82.5", "82.5", "77.5", "95.0"]
    assert rows[2]["average_percent"] == ""  # the empty week stays, with blanks
    legacy = await client.get(f"{base}/stats?format=csv", headers=owner)
    table = list(csv.DictReader(io.StringIO(await legacy.text())))
    assert [r["moving_average_percent"] for r in table] == ["100.0", "82.5", "85.0", "85.0"]
    people = await client.get(f"{base}/stats?format=csv&table=students", headers=owner)
    directions = {
        r["name"]: r["trend_direction"] for r in csv.DictReader(io.StringIO(await people.text()))
    }
    assert directions["Sam Student"] == "down" and directions["Sue Student"] != "down"
    book = load_workbook(
        io.BytesIO(await (await client.get(f"{base}/stats?format=xlsx", headers=owner)).read())
    )
    assert book.sheetnames == ["Assignments", "Students", "Trends"]
    sheet = list(book["Trends"].iter_rows(values_only=True))
    assert sheet[0][:2] == ("label", "start") and [r[0] for r in sheet[1:]] == [
        r["label"] for r in rows
    ]


async def test_a_new_course_and_a_single_graded_week(client, users, clock):
    """Nothing to plot, then one point per line: both must still give a PDF (ReportLab refuses
    a line of one point), and trends keep one bucket with nulls."""
    c = await cast(client, users, "grade")
    owner = c.owner.headers
    resp = await client.get(f"{API}/courses/{c.course_id}/stats/export", headers=owner)
    assert resp.status == 200, await resp.text()
    text = pdf_text(await resp.read())[1]
    assert "Sin datos en el período." in text and "Sin comentarios todavía." in text
    trends = await (
        await client.get(f"{API}/courses/{c.course_id}/stats/trends", headers=owner)
    ).json()
    assert [(b["label"], b["average_percent"]) for b in trends["buckets"]] == [("2026-W02", None)]
    task = await published(
        client, c.owner, c.course_id, questions=auto_questions(),
        due_at=(START + timedelta(days=1)).isoformat(),
    )  # fmt: skip
    assert (await submit(client, c.student, task["id"], answers=right_answers()[:2])).status == 201
    clock.set(START + timedelta(days=2))
    headers = fresh(users, c.owner)
    assert (
        await client.post(f"{API}/assignments/{task['id']}/publish-grades", headers=headers)
    ).status == 200
    for url, who in (
        (f"{API}/courses/{c.course_id}/stats/export", c.owner),
        (f"{API}/users/me/stats/export", c.student),
    ):
        resp = await client.get(url, headers=fresh(users, who))
        assert resp.status == 200, await resp.text()
        assert "Homework 1" in pdf_text(await resp.read())[1]
