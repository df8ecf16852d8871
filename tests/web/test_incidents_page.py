"""The incidents page (issue 13 §5) and one instance's diagram page (§3), as people get them: a row per group of
errored or stalled instances with its count, element, message and links (the diagram with the element marked, the
instance list), "retry all in the group" only for those who may repair and only where a retry can help; a school
head sees her own units' incidents, a user of no unit is refused (403, audited); the navigation bar counts the
city's incidents for department staff."""
import json
import re

import pytest
from sqlalchemy import select

import engine
from engine.db import db
from engine.models import AuditEvent
from tests.conftest import load_org
from tests.engine.incident_cases import PROCESS, make_incidents
from tests.web.conftest import IsolatedClient, csrf


@pytest.fixture
def signed_in(primary_app):
    """The organisation, the incident cases (their ids), and a way to sign a test client in."""
    primary_app.test_client_class = IsolatedClient
    load_org()
    engine.ensure_user("nobody", "school_head", None, password="demo")
    db.session.commit()

    def client_for(login):
        client = primary_app.test_client()
        response = client.post("/login", data={"login": login, "password": "demo",
                                               "csrf_token": csrf(client.get("/login"))})
        assert response.status_code == 302
        return client
    return client_for


def rows(html: str) -> list[dict]:
    """Each group's row: its process, element, count, instance links and whether it offers a retry."""
    found = []
    for kind, body in re.findall(r'<tr class="incident incident-(\w+)"(.*?)</tr>', html, re.S):
        found.append({"kind": kind, "element": re.search(r'data-element="([^"]*)"', body)[1],
                      "count": int(re.search(r'data-count="(\d+)"', body)[1]),
                      "retry": sorted(int(i) for i in re.findall(r'name="instance" value="(\d+)"', body)),
                      "links": sorted(int(i) for i in re.findall(r'href="/instances/(\d+)"', body)),
                      "diagram": re.search(r'href="(/activities/[^"]+/diagram[^"]*)"', body)[1].replace("&amp;", "&")})
    return found


def test_department_staff_see_every_group_with_its_count_and_links(signed_in):
    ids = make_incidents()
    page = signed_in("iao").get("/incidents")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    groups = engine.incidents(engine.user_by_login("iao"))
    shown = rows(html)
    assert [(r["kind"], r["element"], r["count"]) for r in shown] == [(g.kind, g.element, g.count) for g in groups]
    assert sorted((r["element"], r["count"]) for r in shown) == [("calc", 1), ("calc", 3), ("join", 2), ("tally", 2)]
    for row, group in zip(shown, groups):
        assert row["links"] == sorted(group.instance_ids[:5])
        assert row["diagram"] == f"/activities/{PROCESS}/diagram?version={group.version}&element={group.element}"
        assert row["retry"] == []  # a specialist may follow incidents, not repair them
    assert "Процесс остановился: ничего не ожидается, и он не завершён." in html
    assert "Подсчитать итог" in html and "ZeroDivisionError" in html
    assert re.search(r'id="incident-badge">8<', html)  # the navigation bar: the city's incidents
    version = groups[0].version  # the instance list, filtered to each group's state and process version
    assert html.count(f'href="/instances?status=error&amp;process={PROCESS}&amp;version={version}"') == 3
    assert html.count(f'href="/instances?status=stalled&amp;process={PROCESS}&amp;version={version}"') == 1
    assert set(ids[:8]) == {i for g in groups for i in g.instance_ids}


def test_an_operator_may_retry_each_error_group_but_not_a_stalled_one(signed_in):
    make_incidents()
    operator = signed_in("operator")
    html = operator.get("/incidents").get_data(as_text=True)
    groups = {(g.kind, g.element, g.count): g for g in engine.incidents(engine.user_by_login("operator"))}
    for row in rows(html):
        group = groups[(row["kind"], row["element"], row["count"])]
        assert row["retry"] == (sorted(group.instance_ids) if row["kind"] == "error" else [])
    forms = re.findall(r'<form method="post"[^>]*class="retry-group">(.*?)</form>', html, re.S)
    assert len(forms) == 3 and all('name="action" value="retry"' in form for form in forms)
    assert "Повторить все в группе" in html
    # posted as the browser posts it, a group's form previews the batch retry of exactly its instances
    action = re.search(r'<form method="post" action="([^"]+)" class="retry-group">', html)[1]
    form = forms[0]
    fields = [(name, value) for name, value in re.findall(r'name="(\w+)" value="([^"]*)"', form)]
    preview = operator.post(action, data=_multi(fields))
    assert preview.status_code == 200
    shown = preview.get_data(as_text=True)
    first = next(r for r in rows(html) if r["kind"] == "error")  # the forms are in the rows' order
    assert re.search(r'id="batch-total">(\d+)<', shown)[1] == str(first["count"])
    assert sorted({int(i) for i in re.findall(r'name="instance" value="(\d+)"', shown)}) == first["retry"]


def _multi(fields):
    from werkzeug.datastructures import MultiDict
    return MultiDict(fields)


def test_a_school_head_sees_her_units_incidents_only_and_no_link_in_the_bar(signed_in):
    ids = make_incidents()
    html = signed_in("head12").get("/incidents").get_data(as_text=True)
    shown = rows(html)
    assert sum(r["count"] for r in shown) == 4 and "СОШ №17" not in html
    assert {i for r in shown for i in r["links"]} == {ids[0], ids[3], ids[5], ids[7]}
    assert 'href="/incidents"' not in html  # the navigation bar's link is the department's


def test_someone_of_no_unit_is_refused_and_the_refusal_recorded(signed_in):
    make_incidents()
    assert signed_in("nobody").get("/incidents").status_code == 403
    db.session.rollback()
    assert db.session.scalar(select(AuditEvent.message).where(AuditEvent.action == "denied",
                                                               AuditEvent.actor == "nobody")).startswith("incidents")


def test_no_incidents_says_so(signed_in):
    html = signed_in("iao").get("/incidents").get_data(as_text=True)
    assert 'id="no-incidents"' in html and "Инцидентов нет." in html and "incident-badge" not in html


def test_the_diagram_marks_the_asked_element_and_counts_errors_in_its_table(signed_in):
    make_incidents()
    html = signed_in("iao").get(f"/activities/{PROCESS}/diagram?element=calc").get_data(as_text=True)
    assert 'data-element="calc"' in html
    counts = json.loads(re.search(r'<script type="application/json" id="diagram-counts">(.*?)</script>', html, re.S)[1])
    assert (counts["calc"]["errors"], counts["tally"]["errors"], counts["join"]["errors"]) == (4, 2, 2)
    assert re.search(r'<tr data-element="calc"><td>Рассчитать долю</td><td>0</td><td>0</td><td>4</td>', html)


def test_one_instances_diagram_page_for_those_who_may_see_it(signed_in):
    ids = make_incidents()
    running, failed = ids[-1], ids[0]  # both school №12's
    html = signed_in("head12").get(f"/instances/{running}/diagram").get_data(as_text=True)
    path = json.loads(re.search(r'<script type="application/json" id="instance-path">(.*?)</script>', html, re.S)[1])
    assert path["path"] == ["start", "fill", "split", "calc"] and path["current"] == ["after"]
    assert path["elements"]["fill"]["passes"] == 1 and path["stopped"] is None
    assert re.search(r'<tr data-element="fill".*?Администратор системы', html, re.S)
    stopped = json.loads(re.search(r'id="instance-path">(.*?)</script>',
                                   signed_in("head12").get(f"/instances/{failed}/diagram").get_data(as_text=True),
                                   re.S)[1])
    assert stopped["stopped"] == "calc" and stopped["current"] == ["fill"]
    assert signed_in("head17").get(f"/instances/{running}/diagram").status_code == 404
    assert 'href="/instances/%d/diagram"' % running in signed_in("head12").get(f"/instances/{running}").get_data(
        as_text=True)
