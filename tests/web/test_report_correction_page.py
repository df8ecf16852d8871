"""The correction of a report handed in before its deadline moved later (issue 15 §10), over HTTP: the school's
head finds the report as handed in on the task page, corrects a count and submits; another school's head cannot
open it."""
import html

import engine
from tests.conftest import set_manual_clock
from tests.engine.plan_patterns import PLAN_4_13, only
from tests.web.conftest import csrf


def test_a_school_head_corrects_the_counts_it_handed_in_until_the_new_deadline(site):
    set_manual_clock("2020-12-03T10:00:00+03:00")
    report = engine.start("plan_report_correction", {
        "plan_item": PLAN_4_13, "due": "2020-12-14", "lead_role": "school_head", "act_unit": "school-12",
        "params": {"report": "Отчёт о собраниях"}, "handed_in_on": "2020-12-03",
        "report": {"summary": "Проведено 2 собрания", "count_done": 2, "count_total": 3, "document": None}},
        unit="school-12", actor="iao").instance_id
    task = only(report, "correct_task")

    head = site("head12")
    page = html.unescape(head.get(f"/tasks/{task.id}").get_data(as_text=True))
    assert "Исправление отчёта: 4.13" in page
    assert "перенесён на 14.12.2020" in page and "сданный 03.12.2020" in page
    assert "Проведено 2 собрания" in page  # the form shows what was handed in
    assert site("head17").get(f"/tasks/{task.id}").status_code == 404

    done = head.post(f"/tasks/{task.id}", data={"csrf_token": csrf(head.get(f"/tasks/{task.id}")),
                                                "summary": "Проведено 3 собрания", "count_done": "3",
                                                "count_total": "3"})
    assert done.status_code == 302, done.get_data(as_text=True)
    data = engine.detail(report)["data"]
    assert (data["report"]["count_done"], data["status_text"]) == (3, "отчёт исправлен 03.12.2020")
