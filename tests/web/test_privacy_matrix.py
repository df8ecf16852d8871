"""Nobody sees what isn't theirs: every route of the UI and of the API, asked by the head of school №12 about
school №17's process, never shows its data; list pages leave it out; nothing changes; and each refusal of an
existing object is in the audit log. An object she may not see answers 404, exactly as an id that names nothing
(so ids cannot be probed); the areas of a role (administration, the city plan) answer 403 whatever the id.

The routes are read from the application's URL map, so a new route is covered (or fails here, asking for a sample
value of its parameters) without anyone remembering to add it."""
import io
import re

import pytest

import engine
from engine.db import db
from engine.models import AuditEvent, HumanTask, ProcessInstance
from tests.engine.a1 import checklist, only, start_check
from tests.web.conftest import csrf, posted

SECRETS = ("ППЭ №17", "СОШ №17", "Подавитель не глушит", "jammer-secret.png", "Генератор в ремонте",
           "Гасанов", "Омарова")
OPEN_ROUTES = {"static", "auth.login", "auth.logout", "api-docs-ui.file"}  # no data of anyone's behind them


@pytest.fixture
def school17(site, primary_app):
    """School №17's PPE check: the checklist with a photo done, the fix task open, a comment, a saved filter."""
    instance_id = start_check("ppe-17", due="2031-03-19")
    check = only(instance_id, "checklist")
    tech = site("tech17")
    form = {"csrf_token": csrf(tech.get(f"/tasks/{check.id}")),
            **posted(checklist(faulty=["jammer"])), "jammer-comment": "Подавитель не глушит",
            "jammer-photo": (io.BytesIO(b"\x89PNG\r\n\x1a\nsecret"), "jammer-secret.png")}
    assert tech.post(f"/tasks/{check.id}", data=form, content_type="multipart/form-data").status_code == 302
    fix = only(instance_id, "fix_task")
    engine.comment(fix.id, engine.user_by_login("head17"), "Генератор в ремонте")
    saved = engine.save_filter(engine.user_by_login("tech17"), "Мой фильтр", "private", engine.InboxQuery())
    token, _plaintext = engine.create_token(engine.user_by_login("tech17"), "ноутбук")
    photo = engine.detail(instance_id)["data"]["checklist"]["jammer"]["photo"]["attachment_id"]
    return {"instance_id": instance_id, "task_id": fix.id, "attachment_id": photo, "filter_id": saved.id,
            "bpmn_id": "ppe_tech_check", "token_id": token.id,
            "login": "tech17", "user_id": engine.user_by_login("tech17").id, "unit_code": "ppe-17",
            "code": "ppe-17", "unit_id": _unit_id("ppe-17"), "absence_id": _absence(), "item_id": 1,
            "name": "checklist", "filename": "swagger-ui.css", "job_id": 1, "key": "ppe_checklist",
            "version": engine.process_versions("ppe_tech_check")[0]["version"]}


def _unit_id(code):
    from engine.models import Unit
    return db.session.query(Unit).filter_by(code=code).one().id


def _absence():
    from datetime import date
    return engine.set_absence(engine.user_by_login("tech17"), "head17", date(2031, 1, 1), date(2031, 1, 2)).id


def _state(ids):
    db.session.expire_all()
    instance = db.session.get(ProcessInstance, ids["instance_id"])
    task = db.session.get(HumanTask, ids["task_id"])
    return instance.status, instance.lock_version, task.state, task.assignee_id


def _url(rule, values, action):
    url = rule.rule
    for name in rule.arguments:
        converter = rule._converters[name]
        value = action if type(converter).__name__ == "AnyConverter" else values.get(name)
        if value is None:
            pytest.fail(f"privacy matrix: no sample value for <{name}> in {rule.rule}; add it to the fixture")
        url = re.sub(r"<[^>]*\b" + name + r">", str(value), url)
    return url


def _actions(rule):
    converter = next((rule._converters[a] for a in rule.arguments
                      if type(rule._converters[a]).__name__ == "AnyConverter"), None)
    return list(converter.items) if converter is not None else [None]


OBJECT_PARAMS = {"task_id", "instance_id", "attachment_id", "filter_id", "token_id", "absence_id", "user_id",
                 "unit_id"}


def _denials():
    return db.session.query(AuditEvent).filter_by(action="denied", actor="head12").count()


ROLE_AREAS = ("/admin", "/plan", "/batches", "/designer", "/ops")  # refused by role before any object is read: 403, the same for every id
OWN_UNITS_IN_AREA = ("matrix.",)  # in /plan, but open to a unit's staff for their own units (its leaks checked above)
# Ids that name nothing, for the same routes: the answer must not tell them from school №17's.
MISSING = {"task_id": "00000000-0000-4000-8000-000000000000", "instance_id": 999999, "attachment_id": 999999,
           "filter_id": 999999, "token_id": 999999, "absence_id": 999999, "user_id": 999999, "unit_id": 999999}


class Intruder:
    """The head of school №12, asking each route in the way its method calls for."""

    def __init__(self, site):
        self.client = site("head12")
        self.html_token = csrf(self.client.get("/"))
        self.api_token = engine.create_token(engine.user_by_login("head12"), "matrix")[1]

    def ask(self, method, url):
        is_api = url.startswith("/api/")
        headers = {"Authorization": f"Bearer {self.api_token}"} if is_api else {}
        if method == "GET":
            return self.client.get(url, headers=headers)
        if is_api:
            return self.client.open(url, method=method, json={}, headers=headers)
        return self.client.open(url, method=method, data={
            "csrf_token": self.html_token, "to": "head12", "reason": "чужая задача", "text": "x",
            "until": "2031-03-30", "name": "x", "scope": "private"})


def _routes(app):
    """(method, rule, action) for every route but the open ones (a new route needs sample values in the fixture)."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint in OPEN_ROUTES or "openapi" in rule.rule:
            continue
        for action in _actions(rule):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield method, rule, action


def _guarded(app):
    """The routes that name an object or lie in a role's area."""
    return [(method, rule, action) for method, rule, action in _routes(app)
            if OBJECT_PARAMS & set(rule.arguments)
            or (rule.rule.startswith(ROLE_AREAS) and not rule.endpoint.startswith(OWN_UNITS_IN_AREA))]


def test_another_schools_head_gets_404_for_what_she_may_not_see_and_never_its_data(site, primary_app, school17):
    intruder = Intruder(site)
    before = _state(school17)
    for method, rule, action in _routes(primary_app):
        url = _url(rule, school17, action)
        body = intruder.ask(method, url).data.decode("utf-8", "replace")
        leaked = [secret for secret in SECRETS if secret in body]
        assert not leaked, f"{method} {url} showed {leaked} to another school's head"
    refused, wrong = [], []
    for method, rule, action in _guarded(primary_app):
        url = _url(rule, school17, action)
        denials = _denials()
        response = intruder.ask(method, url)
        expected = 403 if rule.rule.startswith(ROLE_AREAS) else 404
        if response.status_code != expected:
            wrong.append(f"{method} {url} answered {response.status_code}, not {expected}")
        if _denials() <= denials:
            wrong.append(f"{method} {url} was refused without an audit record")
        refused.append(f"{method} {url}")
    assert not wrong, "\n".join(wrong)
    assert _state(school17) == before, "a refused request changed school №17's process"
    assert len(refused) >= 30, refused  # tasks, instances, files, filters, profile, admin, API


def _page(response, echoed: dict | None = None) -> tuple:
    """Status, type and page, less the CSRF token of the sign-out form (it changes from one request to the next);
    `echoed` {missing id: school №17's id}: the missing id a message repeats, written as the other."""
    body = response.data.decode("utf-8", "replace")
    for missing, existing in (echoed or {}).items():
        body = body.replace(str(missing), str(existing))
    body = re.sub(r'name="csrf_token"([^>]*)value="[^"]+"', r'name="csrf_token"\1value=""', body)
    return response.status_code, response.mimetype, body


def test_another_schools_id_gets_the_same_answer_as_an_id_that_names_nothing(site, primary_app, school17):
    intruder = Intruder(site)
    missing = {**school17, **MISSING}
    differ = []
    for method, rule, action in _guarded(primary_app):
        url = _url(rule, school17, action)
        mine = _page(intruder.ask(method, url))
        echoed = {MISSING[name]: school17[name] for name in rule.arguments if name in MISSING}
        nothing = _page(intruder.ask(method, _url(rule, missing, action)), echoed)
        if mine != nothing:
            differ.append(f"{method} {url}: {mine[:2]} / {nothing[:2]}"
                          + (" (the pages differ)" if mine[:2] == nothing[:2] else ""))
    assert not differ, "\n".join(differ)


def test_process_versions_and_deploying_are_refused_to_a_school_head_and_deploying_to_iao(site, primary_app):
    """The versions' files and the definitions API are the department's (403, audited, as the other role areas);
    deploying is a designer's or an administrator's: department staff without that role are refused too."""
    intruder = Intruder(site)
    version = engine.process_versions("ppe_tech_check")[0]
    filename = version["files"][0]
    before = engine.process_versions("ppe_tech_check")
    for method, url in (("GET", f"/activities/ppe_tech_check/versions/{version['version']}/{filename}"),
                        ("GET", f"/api/v1/versions/{version['version']}/files/{filename}"),
                        ("GET", "/api/v1/definitions"), ("GET", "/api/v1/definitions/ppe_tech_check/versions"),
                        ("POST", "/api/v1/definitions"), ("POST", "/api/v1/definitions/validate")):
        denials = _denials()
        response = intruder.ask(method, url)
        assert response.status_code == 403, (method, url, response.status_code)
        assert b"<?xml" not in response.data and b"<bpmn:" not in response.data
        assert _denials() == denials + 1, f"{method} {url} was refused without an audit record"
    iao_token = engine.create_token(engine.user_by_login("iao"), "matrix")[1]
    upload = site("iao").post("/api/v1/definitions", headers={"Authorization": f"Bearer {iao_token}"},
                              data={"file": (io.BytesIO(b"<x/>"), "x.bpmn")}, content_type="multipart/form-data")
    assert upload.status_code == 403
    assert engine.process_versions("ppe_tech_check") == before
