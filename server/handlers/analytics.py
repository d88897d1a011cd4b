"""HTTP views for learning analytics: trends, students at risk, feedback summaries, reports."""

from __future__ import annotations

import uuid
from typing import Any

from aiohttp import web

from server.domain.at_risk import AtRiskQuery, AtRiskReport
from server.domain.feedback_summary import FeedbackSummary, MyFeedbackSummaryQuery
from server.domain.stats_tables import ExportQuery, MyExportQuery
from server.domain.stats_trends import CourseTrendsQuery, MyTrendsQuery, Trends
from server.handlers.auth_context import require_user
from server.handlers.io import json_response, path_uuid, read_query, use_case_deps
from server.handlers.routing import RouteTable
from server.keys import MONGO_DB, PG_POOL
from server.services import at_risk, feedback_summary, stats_reports, stats_trends
from server.services.assignment_stats import XLSX
from server.services.stats_reports import PDF, Export

routes = RouteTable(tag="analytics", prefix="/api/v1")


def _deps(request: web.Request) -> dict[str, Any]:
    return {**use_case_deps(request), "mongo": request.app[MONGO_DB]}


def _course_id(request: web.Request) -> uuid.UUID:
    return path_uuid(request, "course_id", not_found_code="course_not_found")


def attachment(export: Export) -> web.Response:
    return web.Response(
        body=export.body,
        content_type=export.content_type,
        headers={"Content-Disposition": f'attachment; filename="{export.filename}"'},
    )


@routes.get(
    "/courses/{course_id}/stats/trends",
    summary="A course's figures per week or month, in the caller's time zone (staff)",
    query=CourseTrendsQuery,
    response=Trends,
    errors=(403, 404, 422),
)
async def course_trends(request: web.Request) -> web.Response:
    user = await require_user(request)
    course_id = _course_id(request)
    query = read_query(request, CourseTrendsQuery)
    result = await stats_trends.course_trends(
        **_deps(request), actor_id=user.user_id, course_id=course_id, query=query
    )
    return json_response(result)


@routes.get(
    "/users/me/stats/trends",
    summary="My own figures per week or month in one course (its students)",
    query=MyTrendsQuery,
    response=Trends,
    errors=(403, 404, 422),
)
async def my_trends(request: web.Request) -> web.Response:
    user = await require_user(request)
    query = read_query(request, MyTrendsQuery)
    return json_response(
        await stats_trends.my_trends(**_deps(request), actor_id=user.user_id, query=query)
    )


@routes.get(
    "/courses/{course_id}/stats/at-risk",
    summary="Students who missed recent work, whose grades fell, or who went quiet (staff)",
    query=AtRiskQuery,
    response=AtRiskReport,
    errors=(403, 404, 422),
)
async def course_at_risk(request: web.Request) -> web.Response:
    user = await require_user(request)
    course_id = _course_id(request)
    query = read_query(request, AtRiskQuery)
    report = await at_risk.course_at_risk(
        **_deps(request), actor_id=user.user_id, course_id=course_id, query=query
    )
    return json_response(report)


@routes.get(
    "/courses/{course_id}/feedback/summary",
    summary="The course's ratings: distribution, recurring themes, representative comments (staff)",
    response=FeedbackSummary,
    errors=(403, 404),
)
async def course_feedback_summary(request: web.Request) -> web.Response:
    user = await require_user(request)
    course_id = _course_id(request)
    summary = await feedback_summary.course_feedback_summary(
        pool=request.app[PG_POOL], actor_id=user.user_id, course_id=course_id
    )
    return json_response(summary)


@routes.get(
    "/users/me/feedback/summary",
    summary="The feedback I received from my courses' staff, summarised",
    query=MyFeedbackSummaryQuery,
    response=FeedbackSummary,
    errors=(422,),
)
async def my_feedback_summary(request: web.Request) -> web.Response:
    user = await require_user(request)
    query = read_query(request, MyFeedbackSummaryQuery)
    summary = await feedback_summary.my_feedback_summary(
        pool=request.app[PG_POOL], actor_id=user.user_id, course_id=query.course_id
    )
    return json_response(summary)


@routes.get(
    "/courses/{course_id}/stats/export",
    summary="The course's report: PDF with charts (default), or one table as CSV, or XLSX (staff)",
    query=ExportQuery,
    raw_response=(PDF, "text/csv", XLSX),
    errors=(403, 404, 422),
)
async def course_export(request: web.Request) -> web.Response:
    user = await require_user(request)
    course_id = _course_id(request)
    query = read_query(request, ExportQuery)
    export = await stats_reports.course_export(
        **_deps(request), actor_id=user.user_id, course_id=course_id, query=query
    )
    return attachment(export)


@routes.get(
    "/users/me/stats/export",
    summary="My progress report as PDF: my courses' figures, charts and feedback received",
    query=MyExportQuery,
    raw_response=(PDF,),
    errors=(403, 404, 422),
)
async def my_export(request: web.Request) -> web.Response:
    user = await require_user(request)
    query = read_query(request, MyExportQuery)
    export = await stats_reports.my_export(**_deps(request), actor_id=user.user_id, query=query)
    return attachment(export)
