"""/api/v1/admin/audit: search, verify the hash chain, export (streamed)."""

from __future__ import annotations

import csv
import io
import json

from aiohttp import web

from server.domain.admin_audit import (
    CSV_COLUMNS,
    AuditPage,
    AuditQuery,
    ExportQuery,
    VerifyQuery,
    VerifyResult,
    csv_row,
    wire,
)
from server.handlers.admin_context import require_admin
from server.handlers.io import json_response, read_query
from server.handlers.routing import RouteTable
from server.keys import MONGO_DB
from server.services import admin_audit

routes = RouteTable(tag="admin", prefix="/api/v1/admin")

CHUNK = 200  # entries per write of an export


@routes.get(
    "/audit",
    summary="Audit entries, newest first (filters combine; `from`/`to` bound `at`)",
    query=AuditQuery,
    response=AuditPage,
    errors=(403,),
)
async def search(request: web.Request) -> web.Response:
    await require_admin(request)
    query = read_query(request, AuditQuery)
    return json_response(await admin_audit.search(db=request.app[MONGO_DB], query=query))


@routes.get(
    "/audit/verify",
    summary="Recompute the hash chain over a range of seqs; names the first broken one",
    query=VerifyQuery,
    response=VerifyResult,
    errors=(403,),
)
async def verify(request: web.Request) -> web.Response:
    await require_admin(request)
    query = read_query(request, VerifyQuery)
    result = await admin_audit.verify(
        db=request.app[MONGO_DB], from_seq=query.from_seq, to_seq=query.to_seq
    )
    return json_response(result)


@routes.get(
    "/audit/export",
    summary="Every matching entry in seq order, streamed as CSV or JSON lines",
    query=ExportQuery,
    raw_response=("text/csv", "application/x-ndjson"),
    errors=(403,),
)
async def export(request: web.Request) -> web.StreamResponse:
    await require_admin(request)
    query = read_query(request, ExportQuery)
    as_csv = query.format == "csv"
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/csv; charset=utf-8" if as_csv else "application/x-ndjson",
            "Content-Disposition": f'attachment; filename="audit.{query.format}"',
        }
    )
    await response.prepare(request)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if as_csv:
        writer.writerow(CSV_COLUMNS)
    pending = 0
    async for entry in admin_audit.export(db=request.app[MONGO_DB], query=query):
        if as_csv:
            writer.writerow(csv_row(entry))
        else:
            buffer.write(json.dumps(wire(entry), ensure_ascii=False) + "\n")
        pending += 1
        if pending >= CHUNK:
            await response.write(buffer.getvalue().encode())
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    await response.write(buffer.getvalue().encode())
    await response.write_eof()
    return response
