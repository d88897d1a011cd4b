"""Statistics through HTTP: a course's table for staff (JSON, CSV, XLSX) and a student's own."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from openpyxl import load_workbook

from tests.assignment_helpers import (
    START,
    auto_questions,
    course_cast,
    fresh,
    published,
    right_answers,
    submit,
)
from tests.course_helpers import API

LATE_OK = {"accept_late": True, "penalty_percent_per_day": 0}
WRONG = [{"question_id": "q1", "choice": 0}, {"question_id": "q2", "choice": True}]


async def _course_with_results(client, users, clock):
    """Two students, three assignments: Sam 100 % then 33.33 %, Sue misses one and is late."""
    c = await course_cast(client, users, "grade")
    sue = await users.create("Sue Student")
    await client.post(f"{API}/courses/{c.course_id}/enrollments", headers=sue.headers)
    a1 = await published(
        client,
        c.owner,
        c.course_id,
        title="Task 1",
        questions=auto_questions(),
        due_at=(START + timedelta(days=1)).isoformat(),
    )
    a2 = await published(
        client,
        c.owner,
        c.course_id,
        title="Task 2",
        questions=auto_questions(),
        due_at=(START + timedelta(days=2)).isoformat(),
        late_policy=LATE_OK,
    )
    a3 = await published(
        client,
        c.owner,
        c.course_id,
        title="Task 3",
        questions=auto_questions(),
        due_at=(START + timedelta(days=30)).isoformat(),
    )
    await submit(client, c.student, a1["id"], answers=right_answers()[:2])
    await submit(client, sue, a1["id"], answers=right_answers()[:2])
    await submit(client, c.student, a2["id"], answers=WRONG)
    clock.set(START + timedelta(days=3))
    await submit(client, fresh(users, sue), a2["id"], answers=right_answers()[:2])  # late
    owner = fresh(users, c.owner)
    for a in (a1, a2):
        resp = await client.post(f"{API}/assignments/{a['id']}/publish-grades", headers=owner)
        assert resp.status == 200
    return c, sue, (a1, a2, a3), owner


async def test_course_stats_table(client, users, clock):
    c, _, _, owner = await _course_with_results(client, users, clock)
    resp = await client.get(f"{API}/courses/{c.course_id}/stats", headers=owner)
    assert resp.status == 200, await resp.text()
    stats = await resp.json()
    assert stats["students"] == 2
    rows = {r["title"]: r for r in stats["assignments"]}
    assert rows["Task 1"]["average_percent"] == 100.0 and rows["Task 1"]["completion_rate"] == 1.0
    assert rows["Task 1"]["on_time_rate"] == 1.0
    assert rows["Task 2"]["average_percent"] == round((100 / 3 + 100) / 2, 2)
    assert rows["Task 2"]["on_time_rate"] == 0.5 and rows["Task 2"]["submitted"] == 2
    assert rows["Task 3"]["submitted"] == 0 and rows["Task 3"]["average_percent"] is None
    assert [t["title"] for t in stats["trend"]] == ["Task 1", "Task 2", "Task 3"]
    assert stats["trend_direction"] == "down"
    people = {p["name"]: p for p in stats["per_student"]}
    assert people["Sue Student"]["late"] == 1 and people["Sue Student"]["average_percent"] == 100
    assert people["Sam Student"]["average_percent"] == round((100 + 100 / 3) / 2, 2)
    assert people["Sam Student"]["missing"] == 0  # A3 is not due yet
    ranged = await client.get(
        f"{API}/courses/{c.course_id}/stats",
        params={"from": (START + timedelta(days=2)).isoformat()},
        headers=owner,
    )
    assert [r["title"] for r in (await ranged.json())["assignments"]] == ["Task 2", "Task 3"]


async def test_csv_and_xlsx_export_the_same_numbers(client, users, clock):
    c, _, _, owner = await _course_with_results(client, users, clock)
    stats = await (await client.get(f"{API}/courses/{c.course_id}/stats", headers=owner)).json()
    resp = await client.get(f"{API}/courses/{c.course_id}/stats?format=csv", headers=owner)
    assert resp.status == 200 and resp.content_type == "text/csv"
    assert "attachment" in resp.headers["Content-Disposition"]
    table = list(csv.DictReader(io.StringIO(await resp.text())))
    assert [r["title"] for r in table] == [r["title"] for r in stats["assignments"]]
    assert float(table[1]["average_percent"]) == stats["assignments"][1]["average_percent"]
    assert table[2]["average_percent"] == ""
    students = await client.get(
        f"{API}/courses/{c.course_id}/stats?format=csv&table=students", headers=owner
    )
    names = [r["name"] for r in csv.DictReader(io.StringIO(await students.text()))]
    assert names == [p["name"] for p in stats["per_student"]]

    resp = await client.get(f"{API}/courses/{c.course_id}/stats?format=xlsx", headers=owner)
    assert resp.status == 200
    book = load_workbook(io.BytesIO(await resp.read()), read_only=True)
    assert book.sheetnames == ["Assignments", "Students", "Trends"]
    sheet = list(book["Assignments"].iter_rows(values_only=True))
    header = list(sheet[0])
    assert header[:3] == ["assignment_id", "title", "due_at"]
    on_time = header.index("on_time_rate")
    assert [r[on_time] for r in sheet[1:]] == [r["on_time_rate"] for r in stats["assignments"]]
    bad = await client.get(f"{API}/courses/{c.course_id}/stats?format=pdf", headers=owner)
    assert bad.status == 422


async def test_stats_are_for_staff_and_my_stats_for_me(client, users, clock):
    c, sue, _, _ = await _course_with_results(client, users, clock)
    for who in (fresh(users, c.student), fresh(users, c.other), {}):
        resp = await client.get(f"{API}/courses/{c.course_id}/stats", headers=who)
        assert resp.status in (401, 403)
    mine = await (await client.get(f"{API}/users/me/stats", headers=fresh(users, sue))).json()
    [course] = mine["courses"]
    assert course["course_id"] == c.course_id
    assert course["average_percent"] == 100.0 and course["late"] == 1
    assert [t["average_percent"] for t in course["trend"]] == [100.0, 100.0, None]
    sam = await (await client.get(f"{API}/users/me/stats", headers=fresh(users, c.student))).json()
    assert [t["average_percent"] for t in sam["courses"][0]["trend"]] == [100.0, 33.33, None]
    assert sam["courses"][0]["trend_direction"] == "down"
    nobody = await (await client.get(f"{API}/users/me/stats", headers=fresh(users, c.other))).json()
    assert nobody == {"courses": []}


FORMULAS = ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tTab", "\rReturn"]


async def test_exports_escape_text_that_a_spreadsheet_would_run(client, users, clock):
    c = await course_cast(client, users, "grade")
    for name in FORMULAS:
        sneaky = await users.create(name)
        await client.post(f"{API}/courses/{c.course_id}/enrollments", headers=sneaky.headers)
    await published(client, c.owner, c.course_id, title="=1+1", questions=auto_questions())
    base = f"{API}/courses/{c.course_id}/stats"
    owner = fresh(users, c.owner)

    resp = await client.get(f"{base}?format=csv&table=students", headers=owner)
    names = {r["name"] for r in csv.DictReader(io.StringIO(await resp.text(), newline=""))}
    assert {"'" + n for n in FORMULAS} <= names
    assert "Sam Student" in names  # harmless text stays as it was
    resp = await client.get(f"{base}?format=csv", headers=owner)
    [row] = list(csv.DictReader(io.StringIO(await resp.text())))
    assert row["title"] == "'=1+1"

    resp = await client.get(f"{base}?format=xlsx", headers=owner)
    book = load_workbook(io.BytesIO(await resp.read()))
    cells = [cell for row in book["Students"].iter_rows(min_row=2) for cell in row]
    assert not [cell.value for cell in cells if cell.data_type == "f"]
    names = {row[1] for row in book["Students"].iter_rows(min_row=2, values_only=True)}
    # XML reads a raw CR back as LF; what matters is the quote in front.
    assert {("'" + n).replace("\r", "\n") for n in FORMULAS} <= names
    [(title, students)] = [
        (r[1], r[3]) for r in book["Assignments"].iter_rows(min_row=2, values_only=True)
    ]
    assert title == "'=1+1"
    assert students == 1 + len(FORMULAS) and isinstance(students, int)  # numbers stay numbers
