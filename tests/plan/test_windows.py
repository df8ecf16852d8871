"""Deadline text → windows in the 2020/21 school year, as the department writes it."""
from datetime import date

import pytest

from engine.plan.windows import DeadlineError, Window, parse_deadline, school_year_of

SCHOOL_YEAR = school_year_of(2020)
CALENDAR = {
    "gia_period": Window(date(2021, 5, 24), date(2021, 7, 17)),
    "essay": Window(date(2020, 12, 2), date(2020, 12, 2)),
    "interview": Window(date(2021, 2, 10), date(2021, 2, 10)),
    "thematic_checks": None,
    "mock_exams": None,
}


def windows(text, calendar=CALENDAR):
    return [(w.starts, w.ends) for w in parse_deadline("9.9", text, SCHOOL_YEAR, calendar).windows]


def d(text):
    day, month, year = map(int, text.split("."))
    return date(year, month, day)


def test_the_school_year():
    assert SCHOOL_YEAR == Window(date(2020, 9, 1), date(2021, 8, 31))


@pytest.mark.parametrize("text, starts, ends", [
    ("Октябрь - ноябрь 2020г.", "01.10.2020", "30.11.2020"),
    ("Октябрь 2020г.- февраль 2021г.", "01.10.2020", "28.02.2021"),
    ("Октябрь-декабрь 2020г.", "01.10.2020", "31.12.2020"),
    ("Декабрь 2020г. – июль 2021г.", "01.12.2020", "31.07.2021"),
    ("Ноябрь 2020 г.- март 2021г.", "01.11.2020", "31.03.2021"),
    ("Октябрь 2020г.– май 2021г.", "01.10.2020", "31.05.2021"),
    ("Ноябрь 2020г. –апрель 2021г.", "01.11.2020", "30.04.2021"),
    ("Ноябрь – декабрь 2020г.", "01.11.2020", "31.12.2020"),
    ("Февраль-март 2021 г.", "01.02.2021", "31.03.2021"),
    ("Март - май 2021г.", "01.03.2021", "31.05.2021"),
    ("Октябрь 2020г.", "01.10.2020", "31.10.2020"),
    ("Декабрь 2020г.", "01.12.2020", "31.12.2020"),
    ("Июнь-июль 2021г.", "01.06.2021", "31.07.2021"),
    ("Июль-август 2021г.", "01.07.2021", "31.08.2021"),
    ("ОКТЯБРЬ—НОЯБРЬ 2020", "01.10.2020", "30.11.2020"),
    ("ноябрь - январь 2021г.", "01.11.2020", "31.01.2021"),  # over New Year, one year written
    ("В течение года", "01.09.2020", "31.08.2021"),
    ("До 30 декабря 2020г.", "01.09.2020", "30.12.2020"),
    ("22-26 января 2021г.", "22.01.2021", "26.01.2021"),
    ("22 – 26 февраля 2021 г.", "22.02.2021", "26.02.2021"),
    ("1-5 марта 2021г.", "01.03.2021", "05.03.2021"),
    ("Май 2021г.", "01.05.2021", "31.05.2021"),
])
def test_dates_written_in_the_plan(text, starts, ends):
    assert windows(text) == [(d(starts), d(ends))]


def test_genitive_and_nominative_month_names_mean_the_same_month():
    assert windows("Мая 2021г.") == windows("май 2021 г.") == [(date(2021, 5, 1), date(2021, 5, 31))]
    assert windows("Марта 2021г.") == windows("Март 2021г") == [(date(2021, 3, 1), date(2021, 3, 31))]


def test_mock_exams_wait_for_the_schedule_of_the_ministry_like_a_separate_schedule():
    """«согласно графику от МОН РД»: the days are МОН РД's; until the calendar has them the item waits, flagged."""
    deadline = parse_deadline("5.4", "В течение года (согласно графику от МОН РД)", SCHOOL_YEAR, CALENDAR)
    assert deadline.windows == ()
    assert deadline.calendar_keys == ("mock_exams",)
    assert [a.code for a in deadline.anomalies] == ["calendar_date_missing"]
    assert "5.4" in str(deadline.anomalies[0].message)
    dated = dict(CALENDAR, mock_exams=Window(date(2021, 3, 15), date(2021, 4, 16)))
    deadline = parse_deadline("5.5", "В течение года (согласно графику от МОН РД)", SCHOOL_YEAR, dated)
    assert deadline.windows == (Window(date(2021, 3, 15), date(2021, 4, 16)),) and deadline.anomalies == ()


def test_arrangements_for_the_exam_period_are_due_the_day_before_the_first_exam():
    """«В период проведения ГИА» (police, medics, power at the PPE): in place before the first exam day, so due on
    its eve, and started a month ahead."""
    deadline = parse_deadline("3.37", "В период проведения ГИА-2021", SCHOOL_YEAR, CALENDAR)
    assert deadline.windows == (Window(date(2021, 4, 24), date(2021, 5, 23)),)
    assert deadline.calendar_keys == ("gia_period",)
    assert deadline.anomalies == ()
    moved = dict(CALENDAR, gia_period=Window(date(2021, 6, 1), date(2021, 7, 17)))
    assert windows("В период проведения ГИА-2021", moved) == [(date(2021, 5, 1), date(2021, 5, 31))]
    waiting = parse_deadline("3.38", "В период проведения ГИА-2021", SCHOOL_YEAR, dict(CALENDAR, gia_period=None))
    assert waiting.windows == () and [a.code for a in waiting.anomalies] == ["calendar_date_missing"]


def test_rosobrnadzor_schedule_is_the_essay_and_the_interview_one_day_each():
    deadline = parse_deadline("5.2", "Согласно графику от Рособрнадзора", SCHOOL_YEAR, CALENDAR)
    assert deadline.windows == (Window(date(2020, 12, 2), date(2020, 12, 2)),
                                Window(date(2021, 2, 10), date(2021, 2, 10)))
    assert deadline.calendar_keys == ("essay", "interview")
    assert deadline.anomalies == ()


def test_a_separate_schedule_without_a_date_leaves_the_item_waiting():
    deadline = parse_deadline("3.45", "По отдельному графику", SCHOOL_YEAR, CALENDAR)
    assert deadline.windows == ()
    assert deadline.calendar_keys == ("thematic_checks",)
    assert [a.code for a in deadline.anomalies] == ["calendar_date_missing"]
    dated = dict(CALENDAR, thematic_checks=Window(date(2021, 3, 1), date(2021, 3, 31)))
    deadline = parse_deadline("3.45", "По отдельному графику", SCHOOL_YEAR, dated)
    assert deadline.windows == (Window(date(2021, 3, 1), date(2021, 3, 31)),) and deadline.anomalies == ()


def test_a_calendar_without_the_entry_is_an_error():
    with pytest.raises(DeadlineError) as refused:
        parse_deadline("3.37", "В период проведения ГИА-2021", SCHOOL_YEAR, {})
    assert "3.37" in str(refused.value.message)


def test_a_month_of_last_year_is_taken_in_this_school_year_and_flagged():
    deadline = parse_deadline("3.13", "январь 2020г.", SCHOOL_YEAR, CALENDAR)
    assert deadline.windows == (Window(date(2021, 1, 1), date(2021, 1, 31)),)
    assert [a.code for a in deadline.anomalies] == ["year_outside_school_year"]
    assert "3.13" in str(deadline.anomalies[0].message)


def test_several_windows_are_kept_in_order_and_flagged():
    deadline = parse_deadline("3.24", "Ноябрь 2020г.- январь 2021г.  Декабрь 2020г.- январь 2021г.  Май 2020г.",
                              SCHOOL_YEAR, CALENDAR)
    assert deadline.windows == (Window(date(2020, 11, 1), date(2021, 1, 31)),
                                Window(date(2020, 12, 1), date(2021, 1, 31)),
                                Window(date(2021, 5, 1), date(2021, 5, 31)))
    assert [a.code for a in deadline.anomalies] == ["several_windows", "year_outside_school_year"]


@pytest.mark.parametrize("text, ends", [("Февраль 2020г. – Февраль 2021г.", date(2021, 2, 28)),
                                        ("Февраль 2020 г. - март 2021г.", date(2021, 3, 31))])
def test_a_window_starting_before_the_school_year_starts_with_it(text, ends):
    deadline = parse_deadline("1.5", text, SCHOOL_YEAR, CALENDAR)
    assert deadline.windows == (Window(date(2020, 9, 1), ends),)
    assert [a.code for a in deadline.anomalies] == ["starts_before_school_year"]


@pytest.mark.parametrize("text", [
    "Когда будет время",
    "Октябрь",                       # no year
    "Октябрь 2020г. и далее",        # something left over
    "Май 2015г.",                    # years away, not a slip
    "Июль - сентябрь 2021г.",        # runs past the school year
    "31 февраля 2021г. - 1 марта",
    "30-31 февраля 2021г.",          # no such days
    "Март 2021г. - январь 2021г.",   # ends before it starts
    "В период проведения ГИА-2019",  # another year's exams
    "",
])
def test_anything_else_is_an_error_naming_the_item_and_the_text(text):
    with pytest.raises(DeadlineError) as refused:
        parse_deadline("2.4", text, SCHOOL_YEAR, CALENDAR)
    assert "2.4" in str(refused.value.message)
