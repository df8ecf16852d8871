"""The plan's «Срок исполнения» column → date windows in the school year.

The column is free text typed by people: month names in either case and form («Октябрь», «января»), «2020г.» or
«2020 г.», any dash with or without spaces, and phrases that point at the exam calendar instead of giving dates.
What the text means is read strictly; a slip the department obviously did not mean (a 2020 month in the 2020/21
plan) is corrected and flagged as an anomaly for a person to confirm, never silently.
"""
import calendar as month_days
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Mapping

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class Window:
    starts: date
    ends: date

    def __str__(self) -> str:
        if self.starts == self.ends:
            return f"{self.starts:%d.%m.%Y}"
        return f"{self.starts:%d.%m.%Y}–{self.ends:%d.%m.%Y}"


@dataclass(frozen=True)
class Anomaly:
    code: str        # stable identifier: year_outside_school_year, several_windows, starts_before_school_year,
                     # calendar_date_missing
    message: object  # a lazy string: str() it where it is shown, in the reader's language


@dataclass(frozen=True)
class Deadline:
    windows: tuple[Window, ...]
    calendar_keys: tuple[str, ...]
    anomalies: tuple[Anomaly, ...]


class DeadlineError(ValueError):
    """The text does not say a usable window; `message` is a lazy string naming the item and the text."""

    def __init__(self, message):
        self.message = message
        super().__init__(message)


def school_year_of(first_year: int) -> Window:
    return Window(date(first_year, 9, 1), date(first_year + 1, 8, 31))


# Stems that take both the nominative and the genitive: «январь»/«января», «март»/«марта», «май»/«мая».
_MONTH_STEMS = ("январ", "феврал", "март", "апрел", "ма", "июн", "июл", "август", "сентябр", "октябр", "ноябр",
                "декабр")
_MONTH = r"(?:январ[ья]|феврал[ья]|марта?|апрел[ья]|ма[йя]|июн[ья]|июл[ья]|августа?|сентябр[ья]|октябр[ья]|" \
         r"ноябр[ья]|декабр[ья])"
_YEAR = r"(\d{4})\s*(?:г\b\.?)?"
_DASH = r"\s*[-‐‑‒–—−]\s*"

# The forms a window takes, tried at each position of the text in this order.
_UNTIL = re.compile(rf"до\s+(\d{{1,2}})\s+({_MONTH})\s+{_YEAR}", re.IGNORECASE)
_DAYS = re.compile(rf"(\d{{1,2}}){_DASH}(\d{{1,2}})\s+({_MONTH})\s+{_YEAR}", re.IGNORECASE)
_MONTHS = re.compile(rf"({_MONTH})(?:\s+{_YEAR})?{_DASH}({_MONTH})\s+{_YEAR}", re.IGNORECASE)
_ONE_MONTH = re.compile(rf"({_MONTH})\s+{_YEAR}", re.IGNORECASE)

# Whole phrases: the school year, or dates kept in the exam calendar (calendar-*.json).
_WHOLE_YEAR = re.compile(r"в\s+течение\s+(?:учебного\s+)?года", re.IGNORECASE)
_MOCK_EXAMS = re.compile(r"в\s+течение\s+года\s*\(\s*согласно\s+графику\s+от\s+мон\s+рд\s*\)", re.IGNORECASE)
_GIA_PERIOD = re.compile(r"в\s+период\s+проведения\s+гиа\s*-?\s*(\d{4})", re.IGNORECASE)
_ROSOBRNADZOR = re.compile(r"согласно\s+графику\s+от\s+рособрнадзора", re.IGNORECASE)
_SEPARATE_SCHEDULE = re.compile(r"по\s+отдельному\s+графику", re.IGNORECASE)


def parse_deadline(number: str, text: str, school_year: Window,
                   calendar: Mapping[str, Window | None]) -> Deadline:
    """Windows for item `number` whose deadline reads `text`; `calendar` maps a calendar key to its window, or
    to None while it has no date. Raises DeadlineError when the text says nothing we can read."""
    phrase = text.strip().rstrip(".").strip()
    if _MOCK_EXAMS.fullmatch(phrase):
        # «В течение года» only says the days fall in the school year; МОН РД's schedule says which, so the item
        # waits for them in the calendar (flagged until then), as a «separate schedule» does (issue 15 §2).
        return _from_calendar(number, text, ("mock_exams",), calendar)
    if _WHOLE_YEAR.fullmatch(phrase):
        return Deadline((school_year,), (), ())
    if (found := _GIA_PERIOD.fullmatch(phrase)) and int(found.group(1)) == school_year.ends.year:
        return _ready_before(number, text, "gia_period", calendar, school_year)
    if _ROSOBRNADZOR.fullmatch(phrase):
        return _from_calendar(number, text, ("essay", "interview"), calendar)
    if _SEPARATE_SCHEDULE.fullmatch(phrase):
        return _from_calendar(number, text, ("thematic_checks",), calendar)
    return _from_dates(number, text, school_year)


def _from_calendar(number, text, keys, calendar) -> Deadline:
    windows, anomalies = [], []
    for key in keys:
        if key not in calendar:
            raise DeadlineError(_l("Item %(number)s: the deadline «%(text)s» needs the calendar entry «%(key)s», "
                                   "which the calendar lacks.", number=number, text=text, key=key))
        if calendar[key] is None:
            anomalies.append(Anomaly("calendar_date_missing", _l(
                "Item %(number)s: «%(text)s» takes its dates from the calendar entry «%(key)s», which has no date "
                "yet; the item has no deadline until the calendar gives one.", number=number, text=text, key=key)))
        else:
            windows.append(calendar[key])
    if anomalies:
        windows = []  # half a set of dates would start the item on a wrong deadline
    return Deadline(tuple(windows), tuple(keys), tuple(anomalies))


def _ready_before(number, text, key, calendar, school_year: Window) -> Deadline:
    """Arrangements «в период проведения ГИА» (police, medics, power at the PPE) serve the exam days, so they must
    be in place on the first of them: due on the eve of the calendar period, started a month ahead."""
    deadline = _from_calendar(number, text, (key,), calendar)
    windows = tuple(Window(max(_month_before(w.starts), school_year.starts), w.starts - timedelta(days=1))
                    for w in deadline.windows)
    return Deadline(windows, deadline.calendar_keys, deadline.anomalies)


def _month_before(day: date) -> date:
    year, month = (day.year, day.month - 1) if day.month > 1 else (day.year - 1, 12)
    return date(year, month, min(day.day, month_days.monthrange(year, month)[1]))


def _from_dates(number: str, text: str, school_year: Window) -> Deadline:
    found = _read_windows(text, school_year)
    if not found:
        raise DeadlineError(_l("Item %(number)s: cannot read the deadline «%(text)s».", number=number, text=text))
    windows, anomalies = [], []
    for fragment, window in found:
        fixed, anomaly = _into_school_year(number, fragment, window, school_year)
        windows.append(fixed)
        if anomaly is not None:
            anomalies.append(anomaly)
    if len(windows) > 1:
        anomalies.insert(0, Anomaly("several_windows", _l(
            "Item %(number)s: «%(text)s» gives %(count)s separate periods; all are kept: %(windows)s.",
            number=number, text=text, count=len(windows), windows="; ".join(map(str, windows)))))
    return Deadline(tuple(windows), (), tuple(anomalies))


def _read_windows(text: str, school_year: Window) -> list[tuple[str, Window]] | None:
    """Every window written in `text`, each with the words it came from; None unless the whole text is read."""
    found, position, text = [], 0, text.strip()
    while position < len(text):
        for pattern, to_window in ((_UNTIL, _until), (_DAYS, _days), (_MONTHS, _months), (_ONE_MONTH, _one_month)):
            match = pattern.match(text, position)
            if match is not None:
                window = to_window(match, school_year)
                if window is None or window.ends < window.starts:
                    return None
                found.append((match.group(0).strip(), window))
                position = match.end()
                break
        else:
            return None
        position += len(text[position:]) - len(text[position:].lstrip(" \t,;"))
    return found


def _month(name: str) -> int:
    name = name.lower()
    return next(n for n, stem in enumerate(_MONTH_STEMS, 1) if name.startswith(stem) and len(name) <= len(stem) + 1)


def _last_day(year: int, month: int) -> date:
    return date(year, month, month_days.monthrange(year, month)[1])


def _day(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _until(match, school_year) -> Window | None:
    ends = _day(int(match.group(3)), _month(match.group(2)), int(match.group(1)))
    return Window(school_year.starts, ends) if ends else None


def _days(match, school_year) -> Window | None:
    year, month = int(match.group(4)), _month(match.group(3))
    starts, ends = _day(year, month, int(match.group(1))), _day(year, month, int(match.group(2)))
    return Window(starts, ends) if starts and ends else None


def _months(match, school_year) -> Window:
    first, last, last_year = _month(match.group(1)), _month(match.group(3)), int(match.group(4))
    # «Октябрь - ноябрь 2020г.»: the first month takes the year written after the last, or the year before when
    # the range runs over New Year («ноябрь - январь 2021г.»).
    first_year = int(match.group(2)) if match.group(2) else last_year - (1 if first > last else 0)
    return Window(date(first_year, first, 1), _last_day(last_year, last))


def _one_month(match, school_year) -> Window:
    year, month = int(match.group(2)), _month(match.group(1))
    return Window(date(year, month, 1), _last_day(year, month))


def _into_school_year(number, fragment, window, school_year) -> tuple[Window, Anomaly | None]:
    if school_year.starts <= window.starts and window.ends <= school_year.ends:
        return window, None
    if window.ends < school_year.starts or window.starts > school_year.ends:
        # «январь 2020г.» in the 2020/21 plan: the same months a year off fit the school year, which is surely
        # what was meant; take them and say so.
        for shift in (1, -1):
            moved = Window(_shift_years(window.starts, shift), _shift_years(window.ends, shift))
            if school_year.starts <= moved.starts and moved.ends <= school_year.ends:
                return moved, Anomaly("year_outside_school_year", _l(
                    "Item %(number)s: «%(text)s» lies outside the school year %(school_year)s; taken as "
                    "%(fixed)s.", number=number, text=fragment, school_year=str(school_year), fixed=str(moved)))
    elif window.starts < school_year.starts <= window.ends <= school_year.ends:
        # «Февраль 2020г. – Февраль 2021г.»: last year's plan carried over; this year's work starts with the year.
        moved = Window(school_year.starts, window.ends)
        return moved, Anomaly("starts_before_school_year", _l(
            "Item %(number)s: «%(text)s» starts on %(starts)s, before the school year %(school_year)s; taken as "
            "%(fixed)s.", number=number, text=fragment, starts=f"{window.starts:%d.%m.%Y}",
            school_year=str(school_year), fixed=str(moved)))
    raise DeadlineError(_l("Item %(number)s: «%(text)s» lies outside the school year %(school_year)s.",
                           number=number, text=fragment, school_year=str(school_year)))


def _shift_years(day: date, years: int) -> date:
    if day == _last_day(day.year, day.month):
        return _last_day(day.year + years, day.month)  # the end of February stays the end of February
    return date(day.year + years, day.month, min(day.day, 28 if day.month == 2 else day.day))
