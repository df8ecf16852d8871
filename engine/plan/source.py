"""The plan's markdown → raw rows, nothing interpreted yet.

The table was pasted from a word processor: each row is one line of four tab-separated cells (number, title,
deadline, executors); a row may go on in following lines that start with a tab (a page break split it); blank and
space-only lines (page breaks) sit between rows; sections are `<b>N. Title</b>` lines. Titles keep their HTML lists
and paragraphs, which become plain lines here: a list item is a line starting with "- ".
"""
import html
import re
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class SourceRow:
    section: int
    section_title: str
    number: str           # "3.32": section and the row's number within it
    title: str            # plain text; list items are lines starting with "- "
    deadline_text: str    # as written, whitespace normalised
    executors_text: str   # as written, whitespace normalised


@dataclass
class SourcePlan:
    title: str
    first_year: int | None            # 2020 for «в 2020/2021 учебном году»
    rows: list[SourceRow] = field(default_factory=list)
    problems: list = field(default_factory=list)  # lazy messages


_SCHOOL_YEAR = re.compile(r"в\s+(\d{4})\s*/\s*(\d{4})\s+учебном\s+году", re.IGNORECASE)
_TITLE = re.compile(r"\*\*(ПРОГРАММА.*?)\*\*", re.IGNORECASE | re.DOTALL)
_SECTION = re.compile(r"^<b>\s*(\d+)\.\s*(.*?)\s*</b>")
_ROW = re.compile(r"^(\d+)\.\t")


def read_plan(text: str) -> SourcePlan:
    year = _SCHOOL_YEAR.search(text)
    plan = SourcePlan(title=_plan_title(text), first_year=int(year.group(1)) if year else None)
    if year is None or int(year.group(2)) != int(year.group(1)) + 1:
        plan.problems.append(_l("The plan does not say its school year (a phrase like «в 2020/2021 учебном году»)."))

    section, section_title, pending = None, "", None  # pending: the row being read, as lists of cell parts
    for line in text.splitlines():
        if not line.strip():
            continue  # blank lines and page breaks sit between a row and its continuation
        cells = line.split("\t")
        if (found := _SECTION.match(line)) is not None:
            _finish(plan, pending)
            pending = None
            section, section_title = int(found.group(1)), found.group(2)
        elif section is None:
            continue  # the preamble before the table
        elif _ROW.match(line):
            _finish(plan, pending)
            pending = {"section": section, "section_title": section_title,
                       "number": f"{section}.{cells[0].rstrip('.')}",
                       "title": [cells[1] if len(cells) > 1 else ""],
                       "deadline": [cells[2] if len(cells) > 2 else ""],
                       "executors": [cells[3] if len(cells) > 3 else ""]}
        elif line.startswith("\t") and pending is not None:
            # A row split by a page break: the cells go on where they stopped.
            for key, cell in zip(("title", "deadline", "executors"), cells[1:4]):
                pending[key].append(cell)
        else:
            break  # the signatures under the table
    _finish(plan, pending)

    seen = set()
    for row in plan.rows:
        if row.number in seen:
            plan.problems.append(_l("Item %(number)s appears more than once in the plan.", number=row.number))
        seen.add(row.number)
    return plan


def _finish(plan: SourcePlan, pending: dict | None) -> None:
    if pending is None:
        return
    plan.rows.append(SourceRow(
        section=pending["section"], section_title=pending["section_title"], number=pending["number"],
        title=plain_title(pending["title"]), deadline_text=_one_line(" ".join(pending["deadline"])),
        executors_text=_one_line(" ".join(pending["executors"]))))


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _plan_title(text: str) -> str:
    found = _TITLE.search(text)
    return _one_line(found.group(1).rstrip(":")) if found else ""


def plain_title(parts: list[str]) -> str:
    """A title's cell parts (the row and its continuation lines) → plain text, list items on their own lines."""
    text = parts[0]
    for part in parts[1:]:
        # A continuation that starts a list item is a new line; otherwise the sentence goes on («...участников»
        # + «образовательного процесса»).
        text += ("\n" if part.lstrip().startswith("- ") else " ") + part
    text = re.sub(r"</p\s*>|</?ul\b[^>]*>|<li\b[^>]*>|<br\s*/?>", "\n", text, flags=re.IGNORECASE)
    text = html.unescape(re.sub(r"<[^>]+>", "", text))
    # Lists typed inline («...ППЭ: - проверка ...; - проверка ...») follow «:», «;» or «.»; a dash inside a
    # sentence never does in this plan, so only those are split.
    text = re.sub(r"(?<=[:;.])\s+-\s+", "\n- ", text)
    return "\n".join(line for line in map(_one_line, text.split("\n")) if line)
