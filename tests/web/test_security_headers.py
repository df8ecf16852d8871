"""Every response carries the security headers (webui/security.py), and an uploaded file is served as what its
bytes are, not what its name says: inline only when it is an image or a real PDF, as an attachment otherwise."""
import io
import re

import pytest

import engine
from engine import attachments, store
from engine.db import db
from engine.models import Attachment
from tests.engine.a1 import only, start_check
from tests.web.conftest import csrf

HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 20
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 20


def assert_secured(response, where):
    headers = response.headers
    assert headers.get("X-Content-Type-Options") == "nosniff", where
    assert headers.get("X-Frame-Options") == "DENY", where
    assert headers.get("Referrer-Policy") in ("same-origin", "strict-origin-when-cross-origin"), where
    policy = dict(part.strip().split(" ", 1) for part in headers.get("Content-Security-Policy", "").split(";")
                  if part.strip())
    assert policy.get("default-src") == "'self'", where
    assert policy.get("script-src") == "'self'" and policy.get("style-src") == "'self'", where
    assert policy.get("frame-ancestors") == "'none'" and policy.get("form-action") == "'self'", where
    assert "unsafe" not in headers["Content-Security-Policy"], where


@pytest.fixture
def check(site):
    """PPE №17's check with its checklist task, and tech17 signed in."""
    instance_id = start_check("ppe-17", due="2031-03-19")
    return {"instance_id": instance_id, "task": only(instance_id, "checklist"), "tech": site("tech17")}


def stored(check, content: bytes, name: str) -> int:
    with store.transaction():
        row = attachments.store(io.BytesIO(content), name, "document", instance_id=check["instance_id"],
                                task_id=check["task"].id, actor="tech17")
    return row.id


def test_every_kind_of_response_carries_the_security_headers(site, check, primary_app):
    anonymous = primary_app.test_client()
    token = engine.create_token(engine.user_by_login("tech17"), "headers")[1]
    tech, file_id = check["tech"], stored(check, PNG, "photo.png")
    answers = {
        "login page": anonymous.get("/login"),
        "redirect to sign in": anonymous.get("/"),
        "inbox": tech.get("/"),
        "task page": tech.get(f"/tasks/{check['task'].id}"),
        "missing page": tech.get("/no-such-page"),
        "stylesheet": tech.get("/static/app.css"),
        "file": tech.get(f"/files/{file_id}"),
        "API": anonymous.get("/api/v1/tasks", headers={"Authorization": f"Bearer {token}"}),
        "API refusal": anonymous.get("/api/v1/tasks"),
    }
    for where, response in answers.items():
        assert_secured(response, where)


def test_html_uploaded_as_a_pdf_is_neither_served_as_a_pdf_nor_shown_inline(check):
    tech, task = check["tech"], check["task"]
    page = tech.post(f"/tasks/{task.id}/comments", data={
        "csrf_token": csrf(tech.get(f"/tasks/{task.id}")), "text": "акт",
        "file": (io.BytesIO(HTML), "akt.pdf")}, content_type="multipart/form-data", follow_redirects=True)
    file_url = re.search(r'href="(/files/\d+)"', page.get_data(as_text=True)).group(1)
    download = tech.get(file_url)
    assert download.status_code == 200 and download.data == HTML
    assert download.mimetype == "application/octet-stream"
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("content, name, served_as, inline", [
    (PDF, "protocol.pdf", "application/pdf", True),
    (PNG, "photo.png", "image/png", True),
    (PNG, "photo.jpg", "image/png", True),  # the bytes decide the type, not the name
    (JPEG, "scan.jpeg", "image/jpeg", True),
    (HTML, "photo.png", "application/octet-stream", False),
    (b"%PDF" + b"0" * 40, "almost.pdf", "application/octet-stream", False),
], ids=["pdf", "png", "png-named-jpg", "jpeg", "html-named-png", "not-quite-pdf"])
def test_a_file_is_typed_by_its_bytes(check, content, name, served_as, inline):
    file_id = stored(check, content, name)
    assert db.session.get(Attachment, file_id).content_type == served_as
    download = check["tech"].get(f"/files/{file_id}")
    assert download.mimetype == served_as and download.data == content
    assert download.headers["Content-Disposition"].startswith("inline" if inline else "attachment")


def test_a_file_stored_with_the_type_its_name_gave_is_typed_by_its_bytes_when_served(check):
    """Rows written before files were typed by content say what the extension said; serving does not trust it."""
    file_id = stored(check, HTML, "akt.pdf")
    db.session.get(Attachment, file_id).content_type = "application/pdf"
    db.session.commit()
    download = check["tech"].get(f"/files/{file_id}")
    assert download.mimetype == "application/octet-stream"
    assert download.headers["Content-Disposition"].startswith("attachment")
    token = engine.create_token(engine.user_by_login("tech17"), "files")[1]
    api = check["tech"].get(f"/api/v1/files/{file_id}", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 200 and api.mimetype == "application/octet-stream"
    assert api.headers["Content-Disposition"].startswith("attachment")
