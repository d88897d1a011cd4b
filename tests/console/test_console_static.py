"""The console as files and headers, without a browser: everything it loads comes from this
server under a CSP with no inline script, it cannot be framed, nothing of a user's data is
cached, the vendored Socket.IO client is the recorded release, and both languages say
everything the modules ask for."""

from __future__ import annotations

import hashlib
import re

from server.handlers.console import CONSOLE
from tests.admin_helpers import ADMIN_API

JS = CONSOLE / "js"
IMPORT = re.compile(r"""(?:import|export)[^"';]*?from\s*["']([^"']+)["']""")


def module_graph() -> set[str]:
    """Every file main.js reaches through imports, as paths under /admin/."""
    seen: set[str] = set()
    todo = ["js/main.js"]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        base = path.rsplit("/", 1)[0]
        for target in IMPORT.findall((CONSOLE / path).read_text()):
            assert target.startswith("."), (path, target)  # relative: never another host
            parts = f"{base}/{target}".split("/")
            resolved: list[str] = []
            for part in parts:
                if part == "..":
                    resolved.pop()
                elif part != ".":
                    resolved.append(part)
            todo.append("/".join(resolved))
    return seen


async def test_the_page_has_a_strict_csp_no_inline_script_and_cannot_be_framed(client):
    resp = await client.get("/admin")
    assert resp.status == 200 and resp.content_type == "text/html"
    csp = dict(d.strip().split(" ", 1) for d in resp.headers["Content-Security-Policy"].split(";"))
    assert csp["default-src"] == "'none'" and csp["script-src"] == "'self'"
    assert csp["style-src"] == "'self'" and csp["connect-src"] == "'self'"
    assert csp["frame-ancestors"] == "'none'" and csp["form-action"] == "'none'"
    assert "unsafe" not in resp.headers["Content-Security-Policy"]
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert resp.headers["Cache-Control"] == "no-store"
    page = await resp.text()
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page, re.S)
    assert scripts and all('src="/admin/' in attrs and not body.strip() for attrs, body in scripts)
    assert "style=" not in page and "<style" not in page
    for ref in re.findall(r'(?:src|href)="([^"]+)"', page):
        assert ref.startswith("/admin/") or ref == "data:,", ref


async def test_the_address_with_a_trailing_slash_leads_to_the_console(client):
    resp = await client.get("/admin/", allow_redirects=False)
    assert resp.status == 308 and resp.headers["Location"] == "/admin"
    followed = await client.get("/admin/")
    assert followed.status == 200 and followed.content_type == "text/html"
    assert (await client.get("/admin/nothing-here.js")).status == 404


async def test_every_module_is_served_from_here_and_revalidated(client):
    graph = module_graph()
    assert {"js/main.js", "js/feed.js", "vendor/socket.io.esm.min.js"} <= graph
    assert len(graph) > 15
    for path in sorted(graph | {"console.css"}):
        resp = await client.get(f"/admin/{path}")
        assert resp.status == 200, path
        assert resp.content_type == ("text/css" if path.endswith(".css") else "text/javascript")
        assert resp.headers["X-Frame-Options"] == "DENY"
        again = await client.get(f"/admin/{path}", headers={"If-None-Match": resp.headers["ETag"]})
        assert again.status == 304
    for source in CONSOLE.rglob("*.js"):
        if "vendor" not in source.parts:
            text = source.read_text()
            assert not re.search(r"https?://", text), source  # no CDN, no other host
            assert ".innerHTML" not in text and "eval(" not in text, source


async def test_only_the_consoles_scripts_and_styles_are_served(client):
    for path in ("README.md", "vendor/socket.io-client.LICENSE", "index.html", "../app.py",
                 "js/../../app.py", "%2e%2e/app.py", "js/nope.js"):  # fmt: skip
        resp = await client.get(f"/admin/{path}")
        assert resp.status == 404, path


async def test_admin_answers_are_never_cached(client, admins):
    admin = await admins.create()
    for headers in (admin.headers, {}):
        resp = await client.get(f"{ADMIN_API}/users", headers=headers)
        assert resp.headers["Cache-Control"] == "no-store", resp.status
    login = {"email": admin.email, "password": admin.password}
    resp = await client.post(f"{ADMIN_API}/auth/login", json=login)
    assert resp.status == 200 and resp.headers["Cache-Control"] == "no-store"


def test_vendored_socket_io_client_is_the_recorded_release():
    readme = (CONSOLE / "README.md").read_text()
    recorded = dict(re.findall(r"`([\w.-]+\.js)` \| `([0-9a-f]{64})`", readme))
    assert set(recorded) == {"socket.io.esm.min.js"}
    body = (CONSOLE / "vendor" / "socket.io.esm.min.js").read_bytes()
    assert hashlib.sha256(body).hexdigest() == recorded["socket.io.esm.min.js"]
    version = re.search(r"socket\.io-client`, version \*\*([\d.]+)\*\*", readme)
    assert version and f"Socket.IO v{version.group(1)}" in body[:200].decode()


def _keys(name: str) -> set[str]:
    return set(re.findall(r'^\s*"([\w.]+)":', (JS / "lang" / name).read_text(), re.M))


def test_both_languages_have_every_key_the_modules_use():
    es, en = _keys("es.js"), _keys("en.js")
    assert es == en and len(es) > 150
    used: set[str] = set()
    for source in JS.rglob("*.js"):
        used |= set(re.findall(r'\bt\(\s*"([\w.]+)"', source.read_text()))
        used |= set(re.findall(r'code: "(\w+)"', source.read_text()))  # client-side errors
    missing = {k for k in used if k not in es and f"error.{k}" not in es}
    assert not missing, missing
