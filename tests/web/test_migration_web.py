"""Moving instances to a newer version from the process page: an operator finds the form on the older version's
row, previews the instances with each one's verdict (the reason in Russian, the element's id as code), confirms
with a reason, and reads the report; the moved ones go on on the new version. A designer and a school head get
403 on the batch routes and see no such form."""
import re

import pytest
from sqlalchemy import select

import engine
from engine.db import db
from engine.models import AuditEvent, HumanTask, ProcessInstance
from tests.conftest import set_manual_clock
from tests.engine.test_migration import PROCESS, diagram
from tests.web.conftest import csrf

FILL, CHECK, SIGN = ("fill_act", "Заполнить акт"), ("check_act", "Проверить акт"), ("sign_act", "Подписать акт")


def deploy(content: bytes) -> int:
    return engine.deploy([("mig_check.bpmn", content)], actor="designer").version


@pytest.fixture
def cases(site, primary_app):
    primary_app.config["GIA_BATCH_RUN"] = "inline"  # the job runs after the commit, in the request
    set_manual_clock("2021-03-01T09:00:00+03:00")
    v1 = deploy(diagram(FILL, CHECK))
    ids = [engine.start(PROCESS, {}, unit="ppe-17", actor="iao").instance_id for _ in range(3)]
    task = db.session.scalars(select(HumanTask).where(HumanTask.instance_id == ids[2],
                                                      HumanTask.state == "READY")).one()
    engine.complete(task.id, engine.user_by_login("tech17"), {})  # the third waits at «Проверить акт»
    v2 = deploy(diagram(FILL, SIGN))  # «Проверить акт» replaced by «Подписать акт»
    db.session.commit()
    return {"site": site, "v1": v1, "v2": v2, "ids": ids}


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def version_form(html: str) -> dict:
    """The fields of the migrate form on the versions list."""
    form = html.split('class="version-migrate"')[1].split("</form>")[0]
    return dict(re.findall(r'name="([a-z_]+)" value="([^"]*)"', form))


def test_an_operator_moves_the_instances_that_can_and_sees_why_the_others_cannot(cases):
    operator = cases["site"]("operator")
    v1, v2, ids = cases["v1"], cases["v2"], cases["ids"]
    page = operator.get(f"/activities/{PROCESS}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.count('class="version-migrate"') == 1  # on version 1's row only: the latest has nowhere to go
    fields = version_form(html)
    assert fields["action"] == "migrate" and fields["version"] == str(v1) and fields["to_version"] == str(v2)
    assert f"Перенести экземпляры на версию {v2}" in text(html)

    preview = operator.post("/batches/preview", data=fields)
    assert preview.status_code == 200, preview.get_data(as_text=True)
    html = preview.get_data(as_text=True)
    assert re.search(r'id="batch-total">3<', html) and re.search(r'id="batch-expected">2<', html)
    assert re.search(rf'id="batch-version">{v2}<', html)
    # SpiffWorkflow aligns «Подписать акт», in the same place, with the task it replaces: a change under the token
    why = f"Экземпляр стоит на шаге «Проверить акт» (<code>check_act</code>), который изменён в версии {v2}."
    assert html.count(why) == 2  # in the counts and beside the instance
    assert text(html).count("будет выполнено") == 2
    assert 'name="to_version" value="%s"' % v2 in html.split('id="batch-confirm"')[1]

    confirm = {**fields, "csrf_token": fields["csrf_token"], "reason": "новая версия акта"}
    created = operator.post("/batches", data=confirm)
    assert created.status_code == 302, created.get_data(as_text=True)
    job_id = int(created.headers["Location"].rsplit("/", 1)[1])
    assert operator.get(f"/batches/{job_id}.json").get_json() == {
        "status": "done", "finished": True, "total": 3, "done": 2, "refused": 1, "pending": 0}
    report = operator.get(f"/batches/{job_id}").get_data(as_text=True)
    assert why in report.split('id="batch-refused"')[1]
    db.session.expire_all()
    versions = dict(db.session.execute(select(ProcessInstance.id, ProcessInstance.deployment_id)
                                       .where(ProcessInstance.id.in_(ids))).all())
    assert versions == {ids[0]: v2, ids[1]: v2, ids[2]: v1}
    moved = db.session.query(AuditEvent).filter_by(action="migrate").order_by(AuditEvent.instance_id).all()
    assert [(a.instance_id, a.actor, a.message) for a in moved] == [
        (ids[0], "operator", "новая версия акта"), (ids[1], "operator", "новая версия акта")]

    tech = cases["site"]("tech17")  # the moved instance goes on on version 2: «Подписать акт» after «Заполнить»
    task = db.session.scalars(select(HumanTask).where(HumanTask.instance_id == ids[0],
                                                      HumanTask.state == "READY")).one()
    engine.complete(task.id, engine.user_by_login("tech17"), {})
    db.session.commit()
    inbox = tech.get("/?tab=group").get_data(as_text=True)
    assert "Подписать акт" in inbox


@pytest.mark.parametrize("login", ["designer", "head17"])
def test_a_designer_or_a_school_head_gets_403_and_no_form(cases, login):
    client = cases["site"](login)
    page = client.get(f"/activities/{PROCESS}")
    assert 'class="version-migrate"' not in page.get_data(as_text=True)
    token = csrf(client.get("/profile"))
    data = {"csrf_token": token, "action": "migrate", "source": "ids", "instance": cases["ids"],
            "to_version": str(cases["v2"]), "reason": "попытка"}
    denied = db.session.query(AuditEvent).filter_by(action="denied", actor=login).count()
    assert client.post("/batches/preview", data=data).status_code == 403
    assert client.post("/batches", data=data).status_code == 403
    db.session.expire_all()
    assert db.session.query(AuditEvent).filter_by(action="denied", actor=login).count() == denied + 2
    assert db.session.query(AuditEvent).filter_by(action="migrate").count() == 0
