"""The batch pages: an operator previews an action on an incident group's ids or on the instance list's filter,
confirms it with a reason, and follows the job to its report (HTML, JSON for the progress bar, Excel); anyone
else gets 403 on every batch route, audited."""
import io
import re

import pytest
from openpyxl import load_workbook

import engine
from engine.db import db
from engine.models import AuditEvent, BatchJob
from tests.conftest import set_manual_clock
from tests.engine import batch_kit as kit
from tests.web.conftest import csrf


@pytest.fixture
def cases(site, primary_app):
    primary_app.config["GIA_BATCH_RUN"] = "inline"  # the job runs after the commit, in the request
    set_manual_clock("2021-03-01T09:00:00+03:00")
    kit.prepare()
    broken = kit.failing(3)
    kit.set_day("2021-03-10")
    fine = kit.running(2)
    return {"site": site, "broken": broken, "fine": fine}


def text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def test_an_operator_previews_confirms_and_reads_the_report(cases):
    operator = cases["site"]("operator")
    token = csrf(operator.get("/batches"))
    ids = cases["broken"] + cases["fine"]
    page = operator.post("/batches/preview", data={"csrf_token": token, "action": "retry", "instance": ids})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert re.search(r'id="batch-total">5<', html) and re.search(r'id="batch-expected">3<', html)
    assert html.count('name="instance"') == 2 * 5  # the switch form and the confirmation carry the ids
    assert len(re.findall(r"<tr><td data-label", html)) == 5  # the sample: all five

    created = operator.post("/batches", data={"csrf_token": token, "action": "retry", "instance": ids,
                                              "source": "ids", "reason": "дата экзамена внесена"})
    assert created.status_code == 302
    job_id = int(created.headers["Location"].rsplit("/", 1)[1])
    progress = operator.get(f"/batches/{job_id}.json").get_json()
    assert progress == {"status": "done", "finished": True, "total": 5, "done": 3, "refused": 2, "pending": 0}
    report = operator.get(f"/batches/{job_id}")
    assert report.status_code == 200
    refused = re.findall(r'href="/instances/(\d+)"', report.get_data(as_text=True).split('id="batch-refused"')[1])
    assert sorted(map(int, refused)) == sorted(cases["fine"])
    assert 'id="batch-bar" max="5" value="5"' in report.get_data(as_text=True)
    assert kit.statuses(cases["broken"]) == {i: "running" for i in cases["broken"]}
    retried = db.session.query(AuditEvent).filter(AuditEvent.action == "retry",
                                                  AuditEvent.instance_id.in_(ids)).all()
    assert sorted((a.instance_id, a.actor, a.summary["reason"]) for a in retried) == [
        (i, "operator", "дата экзамена внесена") for i in sorted(cases["broken"])]

    sheet = load_workbook(io.BytesIO(operator.get(f"/batches/{job_id}.xlsx").data)).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert sorted(r[0] for r in rows) == sorted(ids)
    by_id = {r[0]: r for r in rows}
    assert all(by_id[i][5] is None for i in cases["broken"]) and all(by_id[i][5] for i in cases["fine"])
    assert len({by_id[i][4] for i in cases["broken"]}) == 1 != len({by_id[i][4] for i in ids})

    listing = operator.get("/batches")
    assert f'href="/batches/{job_id}"' in listing.get_data(as_text=True)


def test_a_filter_of_the_instance_list_is_read_again_when_confirmed(cases):
    operator = cases["site"]("operator")
    token = csrf(operator.get("/batches"))
    page = operator.post("/batches/preview", data={"csrf_token": token, "action": "suspend", "status": "running",
                                                   "process": kit.PROCESS_ID})
    html = page.get_data(as_text=True)
    assert re.search(r'id="batch-total">2<', html)  # the two running ones
    assert 'name="status" value="running"' in html and 'name="instance"' not in html
    kit.running(1)  # found by the same filter at confirmation
    created = operator.post("/batches", data={"csrf_token": token, "action": "suspend", "source": "filter",
                                              "status": "running", "process": kit.PROCESS_ID,
                                              "reason": "проверка"})
    job = db.session.get(BatchJob, int(created.headers["Location"].rsplit("/", 1)[1]))
    assert job.total == 3 and job.query == {"status": "running", "process": kit.PROCESS_ID}


def test_a_missing_reason_or_assignee_creates_nothing_and_says_why(cases):
    operator = cases["site"]("operator")
    token = csrf(operator.get("/batches"))
    ids = cases["fine"]
    page = operator.post("/batches", data={"csrf_token": token, "action": "retry", "instance": ids, "reason": "x"})
    assert page.status_code == 422 and 'class="flash error"' in page.get_data(as_text=True)
    page = operator.post("/batches", data={"csrf_token": token, "action": "reassign", "instance": ids,
                                           "reason": "отпуск", "assignee": "nobody"})
    assert page.status_code == 422 and 'id="assignee"' in page.get_data(as_text=True)
    assert db.session.query(BatchJob).count() == 0


@pytest.mark.parametrize("login", ["head12", "iao", "guo_head"])
def test_everyone_but_operators_and_admins_gets_403_on_every_batch_route_audited(cases, primary_app, login):
    job_id = engine.create_batch(engine.user_by_login("admin"), "retry", {}, "проверка", cases["broken"])
    client = cases["site"](login)
    token = csrf(client.get("/"))
    routes = [(rule.rule, sorted(rule.methods - {"HEAD", "OPTIONS"})) for rule in primary_app.url_map.iter_rules()
              if rule.endpoint.startswith("batches.")]
    assert len(routes) == 6
    for rule, methods in routes:
        url = rule.replace("<int:job_id>", str(job_id))
        for method in methods:
            denied = db.session.query(AuditEvent).filter_by(action="denied", actor=login).count()
            response = client.open(url, method=method, data={"csrf_token": token, "action": "cancel",
                                                              "instance": cases["fine"], "reason": "чужое"})
            assert response.status_code == 403, (method, url)
            assert db.session.query(AuditEvent).filter_by(action="denied", actor=login).count() == denied + 1
    assert kit.statuses(cases["fine"]) == {i: "running" for i in cases["fine"]}
    assert db.session.query(BatchJob).count() == 1
    assert "/batches" not in client.get("/").get_data(as_text=True)  # no link in the navigation bar


def test_the_instance_list_offers_the_action_on_what_its_filter_found(cases):
    operator = cases["site"]("operator")
    page = operator.get(f"/instances?status=error&process={kit.PROCESS_ID}").get_data(as_text=True)
    form = page.split('id="batch-start"')[1].split("</form>")[0]
    assert 'name="status" value="error"' in form and f'name="process" value="{kit.PROCESS_ID}"' in form
    assert 'value="retry"' in form
    token = csrf(operator.get("/batches"))
    fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', form))
    preview = operator.post("/batches/preview", data={**fields, "csrf_token": token, "action": "retry"})
    assert re.search(r'id="batch-total">3<', preview.get_data(as_text=True))
    assert 'id="batch-start"' not in cases["site"]("iao").get("/instances").get_data(as_text=True)


HOSTILE = ("\x00", "a\x00b", "9" * 25, "x" * 100_000, "-1", "2021-02-30")


def test_hostile_values_get_a_refusal_or_a_page_never_a_server_error(cases):
    operator = cases["site"]("operator")
    token = csrf(operator.get("/batches"))
    job_id = engine.create_batch(engine.user_by_login("operator"), "retry", {}, "проверка", cases["broken"])
    for value in HOSTILE:
        for field in ("action", "instance", "reason", "assignee", "days", "due", "status", "source", "where"):
            form = {"csrf_token": token, "action": "move_due", "instance": cases["fine"], "reason": "перенос",
                    "days": "3", field: value}
            for url in ("/batches/preview", "/batches"):
                answer = operator.post(url, data=form)
                assert answer.status_code < 500, (url, field, value[:20])
        for url in (f"/batches/{job_id}?page={value}", f"/batches/{value}", f"/batches/{value}.json"):
            assert operator.get(url).status_code < 500, (url[:40])
