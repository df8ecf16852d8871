"""The catalogue as a whole: the three files in processes/plan read together, and refused all at once when wrong."""
import json
import shutil
from collections import Counter
from datetime import date

import pytest

from engine.errors import InvalidDefinition
from engine.plan import catalogue as plan_catalogue
from engine.plan.catalogue import DEFAULT_DIR, PROCESSES, Catalogue, Window, load, load_default
from engine.plan.executors import HEAD_OF, parse_executors

SOURCE, ITEMS, CALENDAR = (DEFAULT_DIR / "gia-plan-2020-2021.md", DEFAULT_DIR / "items.json",
                           DEFAULT_DIR / "calendar-2020-2021.json")


# «По отдельному графику» and «согласно графику от МОН РД»: no dates until the calendar gives them.
WAITING = ("3.45", "5.4", "5.5")


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_default()


def calendar_data() -> dict:
    return json.loads(CALENDAR.read_text(encoding="utf-8"))


def items_data() -> dict:
    return json.loads(ITEMS.read_text(encoding="utf-8"))


def test_the_default_catalogue(catalogue):
    assert catalogue.year == "2020/21"
    assert catalogue.school_year == Window(date(2020, 9, 1), date(2021, 8, 31))
    assert len(catalogue.entries) == 82
    assert Counter(e.section for e in catalogue.entries) == {1: 5, 2: 6, 3: 51, 4: 14, 5: 6}
    assert catalogue.entries[0].number == "1.1" and catalogue.entries[-1].number == "5.6"
    assert catalogue.entry("3.32").title.startswith("Техническая проверка готовности ППЭ")
    assert "- проверка систем подавления сотовой связи" in catalogue.entry("3.32").title
    assert "«Учим детей саморегуляции»" in catalogue.entry("4.12").title
    assert catalogue.entry("3.41").title.endswith("образовательного процесса")
    assert catalogue.calendar["gia_period"] == {"title": "Период проведения ГИА-2021", "starts": "2021-05-24",
                                                "ends": "2021-07-17"}
    assert "_comment" not in catalogue.calendar
    with pytest.raises(KeyError):
        catalogue.entry("6.1")


def test_every_item_has_a_window_inside_the_school_year_but_those_waiting_for_the_calendar(catalogue):
    for entry in catalogue.entries:
        if entry.number in WAITING:
            continue
        assert entry.windows, entry.number
        assert entry.starts <= entry.due, entry.number
        for window in entry.windows:
            assert catalogue.school_year.starts <= window.starts <= window.ends <= catalogue.school_year.ends


@pytest.mark.parametrize("number, windows", [
    ("1.1", [("2020-09-01", "2021-08-31")]),
    ("1.2", [("2020-10-01", "2020-11-30")]),
    ("1.4", [("2020-12-01", "2021-07-31")]),
    ("2.6", [("2020-10-01", "2021-05-31")]),
    ("3.1", [("2020-10-01", "2020-10-31")]),
    ("3.3", [("2020-10-01", "2021-02-28")]),
    ("3.10", [("2021-02-01", "2021-03-31")]),
    ("3.16", [("2020-11-01", "2021-03-31")]),
    ("3.28", [("2020-09-01", "2020-12-30")]),
    ("3.26", [("2020-12-01", "2021-02-01")]),  # applications are taken until 1 February inclusive
    ("3.37", [("2021-04-24", "2021-05-23")]),  # in place before the first exam day (24 May)
    ("3.38", [("2021-04-24", "2021-05-23")]),
    ("3.39", [("2021-04-24", "2021-05-23")]),
    ("3.51", [("2021-06-01", "2021-07-31")]),
    ("4.10", [("2021-01-22", "2021-01-26")]),
    ("4.11", [("2021-02-22", "2021-02-26")]),
    ("5.2", [("2020-12-02", "2020-12-02"), ("2021-02-10", "2021-02-10")]),
    # the anomalies, corrected
    ("1.5", [("2020-09-01", "2021-02-28")]),
    ("2.1", [("2020-09-01", "2021-03-31")]),
    ("3.13", [("2021-01-01", "2021-01-31")]),
    ("3.15", [("2021-01-01", "2021-01-31")]),
    # three council decisions, the last on the eve of the exam period (items.json "window", issue 15 §2)
    ("3.24", [("2020-11-01", "2021-05-23")]),
])
def test_windows(catalogue, number, windows):
    entry = catalogue.entry(number)
    assert [(w.starts.isoformat(), w.ends.isoformat()) for w in entry.windows] == windows
    assert entry.starts.isoformat() == windows[0][0] and entry.due.isoformat() == windows[-1][1]


def test_calendar_keys(catalogue):
    keys = {e.number: e.calendar_keys for e in catalogue.entries if e.calendar_keys}
    assert keys == {"3.37": ("gia_period",), "3.38": ("gia_period",), "3.39": ("gia_period",),
                    "3.45": ("thematic_checks",), "5.2": ("essay", "interview"),
                    "5.4": ("mock_exams",), "5.5": ("mock_exams",)}


def test_the_anomalies_are_exactly_the_slips_in_the_source(catalogue):
    assert sorted((n, a.code) for n, a in catalogue.anomalies) == [
        ("1.5", "starts_before_school_year"),
        ("2.1", "starts_before_school_year"),
        ("3.13", "year_outside_school_year"),
        ("3.15", "year_outside_school_year"),
        ("3.24", "several_windows"),
        ("3.24", "window_adjusted"),
        ("3.24", "year_outside_school_year"),
        ("3.26", "window_adjusted"),
        ("3.45", "calendar_date_missing"),
        ("5.4", "calendar_date_missing"),
        ("5.5", "calendar_date_missing"),
    ]
    for number, anomaly in catalogue.anomalies:
        assert number in str(anomaly.message)


def test_anomaly_messages_are_lazy_strings_read_in_the_current_language(catalogue):
    from flask import Flask
    from flask_babel import Babel, force_locale
    app = Flask(__name__)  # no database: only Babel's context matters here
    Babel(app)
    _, anomaly = catalogue.anomalies[0]
    assert not isinstance(anomaly.message, str)
    with app.app_context(), force_locale("ru"):
        assert "1.5" in str(anomaly.message)


def test_3_45_waits_for_the_calendar_and_takes_its_date_once_given():
    waiting = load(SOURCE, ITEMS, calendar_data()).entry("3.45")
    assert waiting.windows == () and waiting.starts is None and waiting.due is None
    assert [a.code for a in waiting.anomalies] == ["calendar_date_missing"]

    calendar = calendar_data()
    calendar["thematic_checks"] = {"title": "Тематические проверки", "starts": "2021-02-01", "ends": "2021-03-15"}
    dated = load(SOURCE, ITEMS, calendar).entry("3.45")
    assert dated.windows == (Window(date(2021, 2, 1), date(2021, 3, 15)),)
    assert dated.anomalies == ()


def test_mock_exams_wait_for_the_ministrys_schedule_and_take_it_once_given():
    for number in ("5.4", "5.5"):
        waiting = load(SOURCE, ITEMS, calendar_data()).entry(number)
        assert waiting.windows == () and waiting.due is None, number
        assert [a.code for a in waiting.anomalies] == ["calendar_date_missing"]
    calendar = calendar_data()
    calendar["mock_exams"] = {"title": "Апробации ЕГЭ", "starts": "2021-03-15", "ends": "2021-04-16"}
    dated = load(SOURCE, ITEMS, calendar)
    for number in ("5.4", "5.5"):
        assert dated.entry(number).windows == (Window(date(2021, 3, 15), date(2021, 4, 16)),)
        assert dated.entry(number).anomalies == ()


def test_3_26_ends_on_1_february_and_says_why(catalogue):
    entry = catalogue.entry("3.26")
    assert entry.deadline_text == "Декабрь 2020 г. – январь 2021г."
    assert entry.due == date(2021, 2, 1)
    [note] = entry.anomalies
    assert note.code == "window_adjusted"
    assert "01.12.2020–01.02.2021" in str(note.message) and "1 февраля включительно" in str(note.message)


def test_ege_basic_maths_is_not_in_the_2021_calendar():
    calendar = calendar_data()
    assert "ege_math_base" not in calendar
    assert calendar["ege_math_profile"]["date"] == "2021-06-07"
    assert any("basic mathematics was not held in 2021" in line for line in calendar["_comment"])


def test_a_date_moved_in_the_calendar_moves_the_item():
    calendar = calendar_data()
    calendar["essay"]["date"] = "2021-04-15"  # as the 2021 order moved it
    entry = load(SOURCE, ITEMS, calendar).entry("5.2")
    assert [(w.starts, w.ends) for w in entry.windows] == [(date(2021, 4, 15), date(2021, 4, 15)),
                                                          (date(2021, 2, 10), date(2021, 2, 10))]


@pytest.mark.parametrize("text, roles", [
    ("ИАО ГУО, МО ГУО, ООО ГУО, Руководители ОУ", ("iao_specialist", "mo_specialist", "ooo_specialist", "school_head")),
    ("ИАО ГУО, МО ГУО,", ("iao_specialist", "mo_specialist")),
    ("ИАО ГУО Руководители ОУ", ("iao_specialist", "school_head")),
    ("ИАО ГУО, МО ГУО ООО ГУО ОДОВР ГУО Руководители ОУ",
     ("iao_specialist", "mo_specialist", "ooo_specialist", "odovr_specialist", "school_head")),
    ("Руководители ОУ, ИАО ГУО", ("school_head", "iao_specialist")),
    ("Начальник ГУО, ИАО ГУО, Руководители ОУ", ("guo_head", "iao_specialist", "school_head")),
    ("МО ГУО, ИАО ГУО, ОДОВР ГУО", ("mo_specialist", "iao_specialist", "odovr_specialist")),
])
def test_executors_are_recognised_by_name_not_by_commas(text, roles):
    assert parse_executors(text) == (roles, [])


def test_unknown_executors_are_reported():
    assert parse_executors("ИАО ГУО, Завуч ОУ; МО ГУО, ГЭК") == (("iao_specialist", "mo_specialist"),
                                                                  ["Завуч ОУ", "ГЭК"])


def test_roles_and_lead_roles(catalogue):
    assert catalogue.entry("1.5").roles == ("iao_specialist", "mo_specialist")
    assert catalogue.entry("2.1").roles == ("iao_specialist", "mo_specialist", "ooo_specialist",
                                            "odovr_specialist", "school_head")
    assert catalogue.entry("3.4").roles == ("iao_specialist", "school_head")
    assert catalogue.entry("3.8").roles == ("school_head", "iao_specialist")
    assert catalogue.entry("1.3").lead_role == "iao_specialist"   # items.json "lead": the ИАО drafts the orders
    assert catalogue.entry("2.6").lead_role == "mo_specialist"    # the first department executor
    assert catalogue.entry("3.37").lead_role == "guo_head"
    assert catalogue.entry("3.8").lead_role == "school_head"      # every school reports
    # the heads of the PPE's host schools, as the plan names them (3.31 is carried by every school's nomination)
    for number in ("1.4", "3.47"):
        assert (catalogue.entry(number).scope, catalogue.entry(number).lead_role) == ("ppe", "school_head")
    for entry in catalogue.entries:
        assert entry.lead_role in HEAD_OF, entry.number
        if entry.scope in ("schools", "ppe"):
            assert "school_head" in entry.roles, entry.number


def test_items_json_names_every_item_once_with_a_known_process():
    items = items_data()
    assert "_comment" in items
    numbers = [n for n in items if not n.startswith("_")]
    assert numbers == [e.number for e in load_default().entries]
    assert {items[n]["process"] for n in numbers if "carried_by" not in items[n]} <= set(PROCESSES)
    assert [n for n in numbers if items[n].get("process") == "ppe_tech_check"] == ["3.32"]
    assert items["3.32"]["scope"] == "ppe"


def test_process_choices(catalogue):
    by_process = Counter((e.process, e.scope) for e in catalogue.entries if e.carried_by is None)
    assert sum(by_process.values()) + sum(e.carried_by is not None for e in catalogue.entries) == 82
    assert set(by_process) <= {("plan_dept_task", "department"), ("plan_school_report", "schools"),
                               ("plan_school_report", "ppe"), ("plan_event_reports", "schools"),
                               ("plan_order", "department"),
                               ("plan_year_activity", "department"), ("plan_year_activity", "schools"),
                               ("ppe_tech_check", "ppe"), ("final_essay", "schools"), ("oral_interview", "schools"),
                               ("ppe_stage2_act", "ppe"), ("ppe_staff_list", "department"),
                               ("ege_choices", "department"), ("parent_meetings", "department"),
                               ("plan_analysis", "department"),
                               ("plan_council_decisions", "schools"), ("staff_certification", "department"),
                               ("plan_events", "department"), ("plan_events", "schools")}
    # The scenario processes run the items they were written for (domain.md §4: A6, A7, A3, A9, A8, A10, A4).
    scenario = ("final_essay", "oral_interview", "ppe_stage2_act", "ppe_staff_list", "ege_choices", "parent_meetings",
                "staff_certification")
    assert {e.number: e.process for e in catalogue.entries if e.process in scenario} == {
        "3.12": "final_essay", "3.13": "oral_interview", "3.33": "ppe_stage2_act", "3.46": "ppe_staff_list",
        "3.27": "ege_choices", "4.4": "parent_meetings", "3.19": "staff_certification"}
    assert len(catalogue.entry("1.3").params["orders"]) == 13
    assert catalogue.entry("3.22").process == "plan_order" and len(catalogue.entry("3.22").params["orders"]) == 1
    for entry in catalogue.entries:
        if entry.deadline_text == "В течение года" and entry.scope == "department":
            # 4.13 analyses the schools' reports of 4.12 (plan_analysis, issue 15 §9)
            assert entry.process in ("plan_year_activity", "plan_order", "plan_analysis"), entry.number
        if entry.process == "plan_school_report":
            assert entry.params["report"].strip()
        if entry.process == "plan_year_activity":
            assert entry.params["checkins"] in ("monthly", "quarterly")
        if entry.process == "plan_dept_task":
            assert entry.params["evidence"] in ("required", "optional")


# --- refusals: every problem at once, each naming its item -------------------------------------------------------

def copy_files(tmp_path):
    for path in (SOURCE, ITEMS, CALENDAR):
        shutil.copy(path, tmp_path / path.name)
    return tmp_path / SOURCE.name, tmp_path / ITEMS.name, tmp_path / CALENDAR.name


def replace_once(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def refusal(*args) -> list[str]:
    with pytest.raises(InvalidDefinition) as refused:
        load(*args)
    problems = refused.value.problems()
    assert all(isinstance(p, str) for p in problems)
    return problems


def test_load_default_reads_the_repositorys_files():
    assert plan_catalogue.DEFAULT_DIR == plan_catalogue.ROOT / "processes" / "plan"
    assert (plan_catalogue.ROOT / "engine" / "plan" / "catalogue.py").exists()


def test_item_5_2_reports_after_each_essay_and_interview_retakes_included(catalogue):
    entry = catalogue.entry("5.2")
    assert (entry.process, entry.scope) == ("plan_event_reports", "schools")
    assert [e["key"] for e in entry.params["events"]] == ["essay", "essay_retake_1", "essay_retake_2", "interview",
                                                          "interview_retake_1", "interview_retake_2"]
