"""The audit trail on an instance's page names people as people know them and events in Russian (issue 10 §9):
full names (the login only in a tooltip), «система» and «моделирование» for the engine's own actors."""
import re
from datetime import datetime

import engine
from tests.engine.a1 import checklist, only
from tests.conftest import PROCESSES, deploy_files, set_manual_clock


def visible(html: str) -> str:
    """The text a person reads: no tags, attributes or scripts."""
    html = re.sub(r"<(script|style|title)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_the_trail_names_people_and_events_in_russian(site):
    set_manual_clock("2021-03-15T10:00:00+03:00")
    deploy_files(PROCESSES / "ppe_tech_check.bpmn")
    instance_id = engine.start("ppe_tech_check", {"check_due": "2021-03-19", "fix_days": 7, "recheck_days": 3},
                               unit="ppe-17", actor="iao").instance_id
    engine.complete(only(instance_id, "checklist").id, engine.user_by_login("tech17"), checklist(faulty=["jammer"]))
    engine.advance_timers(datetime.fromisoformat("2021-03-21T10:00:00+03:00"))  # the fix's reminder: the system
    head12 = site("head12")
    assert head12.get(f"/instances/{instance_id}").status_code in (403, 404)  # refused, and audited

    html = site("iao").get(f"/instances/{instance_id}").get_data(as_text=True)
    trail = visible(html.split('<ol class="trail">')[1].split("</ol>")[0])
    assert "Алиева П.М. — запуск" in trail and "Гасанов Р.А. — выполнение задачи" in trail
    assert "система — срабатывание таймера" in trail
    assert "Курбанова А.С. — отказ в доступе — открыть страницу хода мероприятия" in trail
    for technical in ("iao", "tech17", "head12", "system", "view instance", "started", "denied"):
        assert not re.search(rf"(?<![\w-]){technical}(?![\w-])", trail), technical
    assert 'title="tech17"' in html  # the login is there for whoever needs it
    facts = visible(html.split('<dl class="facts">')[1].split("</dl>")[0])
    assert "Алиева П.М." in facts and "iao" not in facts


def test_the_simulation_and_the_plan_are_named_in_words(site):
    set_manual_clock("2021-03-15T10:00:00+03:00")
    deploy_files(PROCESSES / "ppe_tech_check.bpmn")
    instance_id = engine.start("ppe_tech_check", {"check_due": "2021-03-19", "fix_days": 7, "recheck_days": 3},
                               unit="ppe-17", actor="simulation").instance_id
    page = visible(site("iao").get(f"/instances/{instance_id}").get_data(as_text=True))
    assert "моделирование — запуск" in page and "simulation" not in page
