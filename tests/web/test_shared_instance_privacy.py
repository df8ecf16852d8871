"""A department instance that asks every school (a multi-instance task over the schools, as someone else's diagram
may do; ours run each school's part in an instance of the school's own): each school's head opens her own task
and file, and nothing of the others' — not their tasks, not their files, not the instance page, its tables or its
data in the API."""
import io

from sqlalchemy import select

import engine
from engine import attachments, store
from engine.db import db
from engine.models import HumanTask
from tests.api.conftest import Api
from tests.conftest import process_xml
from tests.web.conftest import posted

COLLECT = process_xml('''
<bpmn:startEvent id="start"/>
<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="each"/>
<bpmn:userTask id="each" name="Отчёт школы">
  <bpmn:extensionElements><spiffworkflow:properties>
    <spiffworkflow:property name="form" value="plan_report"/>
    <spiffworkflow:property name="role" value="school_head"/>
    <spiffworkflow:property name="unit" value="school['code']"/>
    <spiffworkflow:property name="title" value="'Отчёт: ' + school['name']"/>
  </spiffworkflow:properties></bpmn:extensionElements>
  <bpmn:multiInstanceLoopCharacteristics>
    <bpmn:loopDataInputRef>schools</bpmn:loopDataInputRef>
    <bpmn:inputDataItem id="school" name="school"/>
  </bpmn:multiInstanceLoopCharacteristics>
</bpmn:userTask>
<bpmn:sequenceFlow id="f2" sourceRef="each" targetRef="summary"/>
<bpmn:scriptTask id="summary"><bpmn:script>exports = {'all': {'title': 'Все отчёты', 'columns': ['x'], 'rows': [['секрет всех школ']]}}</bpmn:script></bpmn:scriptTask>
<bpmn:sequenceFlow id="f3" sourceRef="summary" targetRef="iao_check"/>
<bpmn:userTask id="iao_check" name="Проверить отчёты">
  <bpmn:extensionElements><spiffworkflow:properties>
    <spiffworkflow:property name="role" value="iao_specialist"/>
  </spiffworkflow:properties></bpmn:extensionElements>
</bpmn:userTask>
<bpmn:sequenceFlow id="f4" sourceRef="iao_check" targetRef="end"/>
<bpmn:endEvent id="end"/>
''', "collect")

SCHOOLS = [{"code": "school-12", "name": "СОШ №12"}, {"code": "school-17", "name": "СОШ №17"}]


def by_unit(instance_id) -> dict[str, HumanTask]:
    db.session.rollback()
    return {t.unit_code: t for t in db.session.scalars(select(HumanTask).where(
        HumanTask.instance_id == instance_id, HumanTask.bpmn_id == "each"))}


def test_each_school_sees_its_own_part_of_a_shared_instance_and_nothing_else(site, primary_app):
    engine.deploy([("collect.bpmn", COLLECT)], actor="admin")
    instance_id = engine.start("collect", {"schools": SCHOOLS}, unit="guo", actor="iao").instance_id
    db.session.commit()
    tasks = by_unit(instance_id)
    head12, head17 = site("head12"), site("head17")

    # School 17 reports with a scan.
    with store.transaction():
        scan = attachments.store(io.BytesIO(b"%PDF-1.4 secret 17"), "akt17.pdf", "document",
                                 instance_id=instance_id, task_id=tasks["school-17"].id, actor="head17")
        scan_id = scan.id
    page = head17.get(f"/tasks/{tasks['school-17'].id}")
    from tests.web.conftest import csrf
    sent = head17.post(f"/tasks/{tasks['school-17'].id}", data={"csrf_token": csrf(page), **posted(
        {"summary": "Собрание проведено, секрет семнадцатой", "document": str(scan_id)})})
    assert sent.status_code == 302, sent.get_data(as_text=True)

    # School 12's head: her own task yes; school 17's task, file and the instance no, in the UI and the API.
    assert head12.get(f"/tasks/{tasks['school-12'].id}").status_code == 200
    for url in (f"/tasks/{tasks['school-17'].id}", f"/instances/{instance_id}", f"/files/{scan_id}"):
        response = head12.get(url)
        assert response.status_code in (403, 404), url
        assert "секрет семнадцатой" not in response.get_data(as_text=True)
    api = Api(primary_app)
    for path in (f"/instances/{instance_id}", f"/tasks/{tasks['school-17'].id}", f"/files/{scan_id}",
                 f"/instances/{instance_id}/audit"):
        assert api.get(path, "head12").status_code == 404, path
    assert instance_id not in [i["id"] for i in api.get("/instances", "head12").get_json()["items"]]

    # School 17's head still opens her own task and file; the ИАО sees everything once both have reported.
    assert head17.get(f"/files/{scan_id}").status_code == 200
    page = head12.get(f"/tasks/{tasks['school-12'].id}")
    head12.post(f"/tasks/{tasks['school-12'].id}", data={"csrf_token": csrf(page), **posted({"summary": "Проведено"})})
    iao = site("iao")
    assert iao.get(f"/tasks/{tasks['school-17'].id}").status_code == 200
    assert iao.get(f"/files/{scan_id}").status_code == 200
    assert api.get(f"/instances/{instance_id}", "iao").get_json()["status"] == "running"
    assert iao.get(f"/instances/{instance_id}/exports/all.xlsx").status_code == 200
    assert head12.get(f"/instances/{instance_id}/exports/all.xlsx").status_code in (403, 404)
