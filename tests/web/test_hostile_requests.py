"""A 500 is never an answer: every route of the URL map, UI and API, signed in, is sent what a hostile tester
sends (NUL bytes, ids beyond the database's integer, 100 kB strings, JSON nested 100,000 levels deep) in its
path, query string, form and JSON body, and must answer with a refusal or a page, never a server error.

The routes and their sample parameters come from the privacy matrix (tests/web/test_privacy_matrix.py), so a new
route is walked here too; the query and form field names are those the app's own pages render (every
`name="…"` of an input and every `?name=` of a link), so a new field is sent hostile values without anyone
listing it. PostgreSQL is where NUL characters and out-of-range integers fail: run this there too.
"""
import io
import json
import re
from urllib.parse import quote

import pytest
from werkzeug.datastructures import MultiDict

import engine
import forms
from engine import attachments
from engine.db import db
from engine.models import HumanTask
from tests.web.conftest import csrf
from tests.web.test_privacy_matrix import _actions, _url, school17  # noqa: F401 (school17 is a fixture)

NUL, HUGE_ID, LONG = "\x00", "9" * 25, "x" * 100_000
HOSTILE_VALUES = (NUL, "a\x00b", HUGE_ID, LONG)
HOSTILE_PATH_VALUES = (NUL, HUGE_ID, LONG)
# files on disk; signing out would end the walk; /readyz reads no input, and its 503 is an answer (test_health.py)
SKIPPED = {"static", "auth.logout", "health.readyz"}
PERSONAS = (("/admin", "admin"), ("/plan", "iao"), ("/activities", "iao"), ("", "head17"))


def _nested(depth):
    value = 1
    for _ in range(depth):
        value = {"a": value}
    return value


NESTED_JSON = ("[" * 100_000 + "]" * 100_000, '{"a":' * 100_000 + "1" + "}" * 100_000,
               "[" * 900 + "]" * 900, json.dumps({"action": _nested(200)}))


class Walk:
    """The requests sent and the server errors met (all of them, not only the first)."""

    def __init__(self, clients, api_token):
        self.clients, self.api_token, self.failures, self.sent = clients, api_token, [], 0

    def client(self, rule):
        return next(self.clients[login] for prefix, login in PERSONAS if rule.rule.startswith(prefix))

    def send(self, rule, method, url, what, **kwargs):
        headers = {"Authorization": f"Bearer {self.api_token}"} if rule.rule.startswith("/api/") else {}
        self.sent += 1
        try:
            status = self.client(rule).open(url, method=method, headers=headers, **kwargs).status_code
        except Exception as exc:  # TESTING propagates what would have been a 500
            db.session.rollback()
            status = f"500 ({type(exc).__name__}: {str(exc)[:120]})"
        if not isinstance(status, int) or status >= 500:
            db.session.rollback()  # the next request must not inherit a failed transaction
            self.failures.append(f"{method} {_short(url)} with {what} → {status}")
        return status


def _short(text: str) -> str:
    text = text.replace("\x00", "\\0")
    return text if len(text) < 120 else f"{text[:60]}…({len(text)} chars)…{text[-30:]}"


def _field_names(html: str) -> set[str]:
    """What the page lets people send: input names and the query parameters of its links."""
    names = set(re.findall(r'\bname="([^"]+)"', html))
    names |= set(re.findall(r'[?&;](\w+)=', html))
    return names - {"csrf_token"}


def _rules(app):
    rules = [r for r in app.url_map.iter_rules() if r.endpoint not in SKIPPED]
    assert len(rules) >= 40, [r.rule for r in rules]
    return rules


def _api_query_names(client) -> dict[str, set[str]]:
    """The query parameters each API path declares in the OpenAPI document."""
    document = client.get("/api/v1/openapi.json").get_json()
    found = {}
    for path, operations in document["paths"].items():
        for operation in operations.values():
            if isinstance(operation, dict):
                found.setdefault(path, set()).update(
                    p["name"] for p in operation.get("parameters", []) if p.get("in") == "query")
    return found


def _openapi_path(rule) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)


@pytest.fixture
def walk(site, primary_app, school17):  # noqa: F811 (the fixture imported above)
    clients = {login: site(login) for login in {login for _prefix, login in PERSONAS}}
    token = engine.create_token(engine.user_by_login("head17"), "hostile")[1]
    return Walk(clients, token)


def test_no_route_answers_a_server_error_to_hostile_input(primary_app, school17, walk):  # noqa: F811
    rules = _rules(primary_app)
    names, tokens = _read_pages(walk, rules, school17)
    assert {"action", "fixed_on", "until", "scope", "login", "password"} <= names, sorted(names)
    api_queries = _api_query_names(walk.clients["head17"])
    for rule in rules:
        for action in _actions(rule):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                _hostile_path(walk, rule, method, action, school17)
                url = _url(rule, school17, action)
                if method == "GET":
                    _hostile_query(walk, rule, url, api_queries.get(_openapi_path(rule)), names)
                elif rule.rule.startswith("/api/"):
                    _hostile_json(walk, rule, method, url, names)
                else:
                    _hostile_form(walk, rule, method, url, names, tokens.get(id(walk.client(rule)), ""))
    assert not walk.failures, "\n".join(walk.failures)
    assert walk.sent >= 400, walk.sent


def _read_pages(walk, rules, samples):
    """First as a person would: every page read, what it offers to send collected (and a CSRF token per
    client)."""
    names = {"page", "per_page", "text", "unit", "q", "year", "next", "to", "reason"}
    tokens = {}
    for rule in rules:
        for action in _actions(rule) if "GET" in rule.methods else []:
            response = walk.client(rule).get(_url(rule, samples, action))
            if response.mimetype == "text/html":
                html = response.get_data(as_text=True)
                names |= _field_names(html)
                if 'name="csrf_token"' in html:
                    tokens[id(walk.client(rule))] = csrf(response)
    return names, tokens


def _hostile_path(walk, rule, method, action, samples):
    body = {"json": {}} if rule.rule.startswith("/api/") and method in ("POST", "PUT") else {}
    for argument in rule.arguments:
        if type(rule._converters[argument]).__name__ != "AnyConverter":
            for value in HOSTILE_PATH_VALUES:
                url = _url(rule, {**samples, argument: quote(value, safe="")}, action)
                walk.send(rule, method, url, f"<{argument}>={value[:12]!r}", **body)


def _hostile_query(walk, rule, url, api_names, names):
    for value in HOSTILE_VALUES:
        if api_names is not None:  # each alone: the API refuses a whole request on its first bad parameter
            for name in sorted(api_names):
                walk.send(rule, "GET", url, f"?{name}={value[:12]!r}", query_string={name: value})
        else:
            walk.send(rule, "GET", url, f"every query parameter = {value[:12]!r}",
                      query_string={name: value for name in names})


def _hostile_json(walk, rule, method, url, names):
    for body in NESTED_JSON:
        walk.send(rule, method, url, f"a JSON body of {len(body)} chars nested deep", data=body,
                  content_type="application/json")
    for value in HOSTILE_VALUES:
        walk.send(rule, method, url, f"JSON fields = {value[:12]!r}",
                  json={**{name: value for name in names}, f"key{NUL}": value})


def _hostile_form(walk, rule, method, url, names, token):
    for value in HOSTILE_VALUES:
        walk.send(rule, method, url, f"every form field = {value[:12]!r}",
                  data={"csrf_token": token, **{name: value for name in names}})


def test_a_nul_in_the_query_string_or_form_is_400_and_in_the_path_404(site):
    head, iao = site("head17"), site("iao")
    for url in ("/?text=%00", "/?unit=%00", "/inbox.xlsx?text=%00", "/plan/?year=%00"):
        response = (iao if url.startswith("/plan") else head).get(url)
        assert response.status_code == 400, url
        assert "символ NUL" in response.get_data(as_text=True), url
    saved = head.post("/filters", data={"csrf_token": csrf(head.get("/")), "name": "Мой\x00", "scope": "private"})
    assert saved.status_code == 400 and "символ NUL" in saved.get_data(as_text=True)
    for url in ("/tasks/%00", "/activities/%00", "/tasks/a%00b/comments"):
        assert iao.get(url).status_code in (404, 405), url
    assert iao.get("/tasks/%00").status_code == iao.get("/activities/%00").status_code == 404


def test_an_id_beyond_the_database_integer_is_404(site, school17):  # noqa: F811
    head, admin = site("head17"), site("admin")
    for url in ("/files/999999999999999999999", "/instances/99999999999999999999",
                f"/instances/{2**31}", "/filters/99999999999999999999/delete"):
        response = head.post(url) if url.endswith("/delete") else head.get(url)
        assert response.status_code == 404, url
    for url in ("/admin/users/99999999999999999999", "/admin/units/99999999999999999999"):
        assert admin.get(url).status_code == 404, url
    assert head.get(f"/instances/{school17['instance_id']}").status_code == 200  # real ids still match


def test_an_uploaded_file_name_with_a_nul_is_cleaned_not_a_server_error(site, school17):  # noqa: F811
    from engine.models import Attachment, TaskComment
    head = site("head17")
    task_id = school17["task_id"]
    response = head.post(f"/tasks/{task_id}/comments", data={
        "csrf_token": csrf(head.get(f"/tasks/{task_id}")), "text": "Акт",
        "file": (io.BytesIO(b"%PDF-1.4 act"), "акт\x00 №5.pdf")}, content_type="multipart/form-data")
    assert response.status_code == 302
    comment = db.session.query(TaskComment).filter_by(task_id=task_id, text="Акт").one()
    assert db.session.get(Attachment, comment.attachment_id).filename == "акт №5.pdf"


@pytest.mark.parametrize("sent, kept", [
    ("C:\\Документы\\акт №5.pdf", "акт №5.pdf"), ("../../etc/passwd.png", "passwd.png"),
    ("scan\r\nSet-Cookie: x.png", "scanSet-Cookie: x.png"), ("\u202egpj.exe.png", "gpj.exe.png"),
    ("ф" * 300 + ".jpeg", "ф" * 250 + ".jpeg"), ("\x00", "file"), ("..", "file"), (None, "file")])
def test_uploaded_file_names_are_cleaned_keeping_letters_and_the_extension(sent, kept):
    assert attachments.clean_filename(sent) == kept


def test_the_task_form_refuses_nul_characters_as_the_api_does(site, school17, primary_app):  # noqa: F811
    definition = forms.load("ppe_fix")
    posted = MultiDict({"action": "Заменён\x00 подавитель", "fixed_on": "2031-03-24"})
    form = forms.bind_post(definition, posted, {})
    assert not form.validate()
    assert form.errors == {"action": ["Текст не должен содержать символы NUL и недопустимые символы Юникода."]}
    for text in ("Заменён\x00 подавитель", "Заменён \ud800"):
        with pytest.raises(forms.FormValidationError) as refused:
            forms.validate_json(definition, {"action": text, "fixed_on": "2031-03-24"})
        assert refused.value.field_errors == form.errors

    head, task_id = site("head17"), school17["task_id"]
    page = head.post(f"/tasks/{task_id}", data={"csrf_token": csrf(head.get(f"/tasks/{task_id}")),
                                                "action": "Заменён\x00 подавитель", "fixed_on": "2031-03-24"})
    assert page.status_code == 400 and "символ NUL" in page.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(HumanTask, task_id).state == "READY"
