"""The plan's «Ответственные исполнители» column → role codes.

The column is typed by hand: commas trail («ИАО ГУО, МО ГУО,») or go missing («ИАО ГУО Руководители ОУ»). So the
text is read by recognising the known names wherever they stand, not by splitting on commas; whatever is left that
is more than punctuation is a name we do not know, and the caller reports it.
"""
import json
import re
from pathlib import Path

# Names as the plan writes them → role codes of processes/roles.json.
EXECUTORS = {
    "Начальник ГУО": "guo_head",
    "ИАО ГУО": "iao_specialist",
    "МО ГУО": "mo_specialist",
    "ООО ГУО": "ooo_specialist",
    "ОДОВР ГУО": "odovr_specialist",
    "Руководители ОУ": "school_head",
}

# Who a late task escalates to first, by role: `escalates_to` in processes/roles.json (data the department keeps
# with its roles). The catalogue is read without an application, so the file is read from the repository.
_ROLES_FILE = Path(__file__).resolve().parents[2] / "processes" / "roles.json"
HEAD_OF = {role["code"]: role["escalates_to"]
           for role in json.loads(_ROLES_FILE.read_text(encoding="utf-8"))["roles"] if role.get("escalates_to")}

# Longest names first so that «ОДОВР ГУО» is never read as a shorter name; \b keeps «ООО ГУО» from matching
# inside a longer word. Spaces inside a name may be any run of whitespace.
_NAME = re.compile(r"\b(" + "|".join(r"\s+".join(map(re.escape, name.split()))
                                     for name in sorted(EXECUTORS, key=len, reverse=True)) + r")\b",
                   re.IGNORECASE)
_CANONICAL = {name.casefold(): name for name in EXECUTORS}
_PUNCTUATION = re.compile(r"[\s,;.]*")


def parse_executors(text: str) -> tuple[tuple[str, ...], list[str]]:
    """Role codes in the order written, and the pieces of text that name no known executor."""
    roles, unknown, position = [], [], 0
    for match in _NAME.finditer(text):
        _collect_leftover(text[position:match.start()], unknown)
        roles.append(EXECUTORS[_CANONICAL[" ".join(match.group(1).split()).casefold()]])
        position = match.end()
    _collect_leftover(text[position:], unknown)
    return tuple(roles), unknown


def _collect_leftover(piece: str, unknown: list[str]) -> None:
    if not _PUNCTUATION.fullmatch(piece):
        unknown.append(piece.strip(" \t,;."))
