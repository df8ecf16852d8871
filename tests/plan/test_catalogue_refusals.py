"""The catalogue refused as a whole when one of its three files is wrong: every problem at once, each naming its
item (the helpers are tests.plan.test_catalogue's, which other suites import too)."""
import json

import pytest

from engine.plan.catalogue import load
from tests.plan.test_catalogue import ITEMS, SOURCE, calendar_data, copy_files, items_data, refusal, replace_once


def test_refuses_a_source_with_an_unreadable_deadline_an_unknown_executor_and_an_unassigned_item(tmp_path):
    source, items, calendar = copy_files(tmp_path)
    replace_once(source, "всем предметам ГИА.\tОктябрь-декабрь 2020г.\t", "всем предметам ГИА.\tКогда будет время\t")
    replace_once(source, "на сайте ОУ\tВ течение года\tРуководители ОУ",
                 "на сайте ОУ\tВ течение года\tРуководители ОУ, Пресс-служба")
    data = items_data()
    del data["4.13"]
    items.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")

    problems = refusal(source, items, calendar)
    assert len(problems) == 3, problems
    assert "3.2" in problems[0] and "Когда будет время" in problems[0]
    assert "4.8" in problems[1] and "Пресс-служба" in problems[1]
    assert "4.13" in problems[2]


def test_refuses_wrong_items_json(tmp_path):
    source, items, calendar = copy_files(tmp_path)
    data = items_data()
    data["9.9"] = {"process": "plan_dept_task", "scope": "department", "params": {"evidence": "required"}}
    data["1.2"]["process"] = "plan_magic"
    data["1.5"]["scope"] = "city"
    data["2.3"]["params"] = {"record": "weekly"}
    data["3.7"]["params"] = {}
    data["3.22"]["scope"] = "schools"
    data["4.1"]["lead"] = "janitor"
    data["4.2"]["proces"] = "typo"
    items.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")

    problems = refusal(source, items, calendar)
    named = [next(n for n in ("1.2", "1.5", "2.3", "3.7", "3.22", "4.1", "4.2", "9.9") if n in p) for p in problems]
    assert named == ["1.2", "1.5", "2.3", "3.7", "3.22", "4.1", "4.2", "9.9"], problems
    assert "plan_magic" in problems[0] and "city" in problems[1] and "weekly" in problems[2]
    assert "janitor" in problems[5] and "proces" in problems[6]


@pytest.mark.parametrize("window, says", [
    ({"ends": "2021-02-01"}, "why"),                                   # a window set by hand gives its reason
    ({"ends": "1 февраля", "why": "Порядок"}, "1 февраля"),            # not an ISO date
    ({"ends": "2021-09-01", "why": "Порядок"}, "01.09.2021"),          # outside the school year
    ({"starts": "2021-02-02", "ends": "2021-02-01", "why": "Порядок"}, "02.02.2021"),  # ends before it starts
    ({"ends": "2021-02-01", "why": "Порядок", "days": 3}, "days"),     # an unknown key
])
def test_refuses_a_window_set_by_hand_that_cannot_be_used(tmp_path, window, says):
    source, items, calendar = copy_files(tmp_path)
    data = items_data()
    data["3.25"]["window"] = window
    items.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    [problem] = refusal(source, items, calendar)
    assert "3.25" in problem and says in problem, problem


def test_refuses_a_window_set_by_hand_on_an_item_that_reads_the_calendar(tmp_path):
    """A calendar move reads the item's text again, which would silently undo a window set in items.json."""
    source, items, calendar = copy_files(tmp_path)
    data = items_data()
    data["3.37"]["window"] = {"ends": "2021-05-20", "why": "Порядок"}
    items.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    [problem] = refusal(source, items, calendar)
    assert "3.37" in problem and "gia_period" in problem, problem


def test_a_department_item_with_only_schools_as_executors_needs_a_lead(tmp_path):
    source, items, calendar = copy_files(tmp_path)
    data = items_data()
    data["4.8"] = {"process": "plan_year_activity", "scope": "department", "params": {"checkins": "quarterly"}}
    items.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    problems = refusal(source, items, calendar)
    assert len(problems) == 1 and "4.8" in problems[0]

    data["4.8"]["lead"] = "iao_specialist"
    items.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    assert load(source, items, calendar).entry("4.8").lead_role == "iao_specialist"


def test_refuses_a_calendar_that_lacks_an_entry_or_is_for_another_year():
    calendar = calendar_data()
    del calendar["gia_period"]
    problems = refusal(SOURCE, ITEMS, calendar)
    assert len(problems) == 3 and all(n in p for n, p in zip(("3.37", "3.38", "3.39"), problems))

    calendar = calendar_data()
    calendar["school_year"] = {"title": "2021/2022", "starts": "2021-09-01", "ends": "2022-08-31"}
    assert len(refusal(SOURCE, ITEMS, calendar)) == 1

    calendar = calendar_data()
    calendar["ege"] = {"title": "ЕГЭ", "starts": "2021-07-02", "ends": "2021-05-31"}
    calendar["oge"] = {"title": "ОГЭ", "date": "24.05.2021"}
    calendar["essay"] = {"title": "Сочинение", "date": "2021-12-01"}
    problems = refusal(SOURCE, ITEMS, calendar)
    assert len(problems) == 3 and "ege" in problems[0] and "oge" in problems[1] and "essay" in problems[2]


def test_refuses_files_that_are_not_json(tmp_path):
    source, items, calendar = copy_files(tmp_path)
    items.write_text("{not json", encoding="utf-8")
    problems = refusal(source, items, calendar)
    assert len(problems) == 1 and "items.json" in problems[0]


def test_refuses_event_reports_without_their_events(tmp_path):
    source, items, calendar = copy_files(tmp_path)
    data = items_data()
    data["5.2"]["params"]["events"] = [{"key": "essay"}]
    items.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    problems = refusal(source, items, calendar)
    assert len(problems) == 1 and "5.2" in problems[0] and "params.events" in problems[0], problems


@pytest.mark.parametrize("report_due", ["$due-6", "2021-08-23", "$starts+6wd", 6])
def test_refuses_a_school_report_due_that_is_not_working_days_before_the_items_end(tmp_path, report_due):
    source, items, calendar = copy_files(tmp_path)
    data = items_data()
    data["3.49"]["params"]["report_due"] = report_due
    items.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    [problem] = refusal(source, items, calendar)
    assert "3.49" in problem and "report_due" in problem and str(report_due) in problem, problem
