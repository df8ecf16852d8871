"""The activity page's «Версии» (issue 14 §4): each version of the process with when and by whom it was deployed,
its comment, its running and total instances, its diagram and its files to download; the department's to see, a
school's head neither sees the section nor downloads a file (403, audited)."""
import re

import engine
from engine.db import db
from engine.models import AuditEvent
from tests.conftest import linear


def _section(html: str) -> str:
    match = re.search(r'<section class="versions".*?</section>', html, re.S)
    assert match, "no versions section"
    return match.group(0)


def _rows(section: str) -> list[str]:
    body = section.split("<tbody>", 1)[1]
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in body.split("</tr>")[:-1]]


def _new_version(site):
    """A second version of p with a comment and one of its instances, the first version having two."""
    first = engine.deploy([("vp.bpmn", linear('<bpmn:userTask id="n1"/>', process_id="vp"))], actor="designer",
                          comment="Первая")
    engine.start("vp", {}, actor="iao")
    engine.cancel(engine.start("vp", {}, actor="iao").instance_id, actor="operator")
    second = engine.deploy([("vp.bpmn", linear('<bpmn:userTask id="n1" name="Другая"/>', process_id="vp"))],
                           actor="admin", comment="Вторая: <b>не HTML</b>")
    engine.start("vp", {}, actor="iao")
    db.session.commit()
    return first.version, second.version


def test_department_staff_see_each_version_with_its_counts_and_files(site):
    first, second = _new_version(site)
    html = site("iao").get("/activities/vp").get_data(as_text=True)
    section = _section(html)
    assert "<h2 id=\"versions-heading\">Версии</h2>" in section
    rows = _rows(section)
    assert len(rows) == 2
    assert rows[0].startswith(str(second)) and "Вторая: <b>не HTML</b>" not in section  # escaped
    assert "Вторая: &lt;b&gt;не HTML&lt;/b&gt;" in section
    assert "1 / 1" in rows[0] and "1 / 2" in rows[1] and "Первая" in rows[1]
    designer = engine.user_by_login("designer")
    assert (designer.full_name or "designer") in rows[1]
    assert re.search(r"\d\d\.\d\d\.\d{4} \d\d:\d\d", rows[0])  # Russian date and time
    assert f'href="/activities/vp/diagram?version={first}"' in section
    assert f'href="/activities/vp/versions/{first}/vp.bpmn"' in section


def test_the_xml_of_a_version_downloads_as_deployed(site):
    first, second = _new_version(site)
    client = site("guo_head")
    response = client.get(f"/activities/vp/versions/{first}/vp.bpmn")
    assert response.status_code == 200 and response.mimetype == "application/xml"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.data == linear('<bpmn:userTask id="n1"/>', process_id="vp")
    assert client.get(f"/activities/vp/versions/{second}/other.bpmn").status_code == 404
    assert client.get(f"/activities/ppe_tech_check/versions/{first}/vp.bpmn").status_code == 404  # not its version


def test_a_school_head_sees_no_versions_and_downloads_nothing(site):
    first, _second = _new_version(site)
    head = site("head17")
    page = head.get("/activities/vp")
    assert page.status_code == 200 and 'class="versions"' not in page.get_data(as_text=True)
    refusals = db.session.query(AuditEvent).filter_by(action="denied", actor="head17").count()
    response = head.get(f"/activities/vp/versions/{first}/vp.bpmn")
    assert response.status_code == 403 and b"<?xml" not in response.data
    db.session.rollback()
    assert db.session.query(AuditEvent).filter_by(action="denied", actor="head17").count() == refusals + 1
