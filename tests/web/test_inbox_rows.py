"""The inbox of a lived plan: every row names the unit its task is for (escalations and reminders included), and
a plan item's page-long title is cut to a short one, the full text kept in the link's title."""
import html as html_lib
import re

import pytest

from engine.directory import unit_names
from engine.models import HumanTask
from tests.web.lived import lived_site, tasks

ESCALATION = "escalation"


@pytest.fixture(scope="module")
def site(backends, tmp_path_factory):
    with lived_site(backends, tmp_path_factory) as client_for:
        yield client_for


def row_of(page: str, task_id: str) -> str:
    """The <tr> of the inbox that links to the task."""
    found = re.search(r"<tr\b(?:(?!<tr\b).)*?/tasks/" + re.escape(task_id) + r'".*?</tr>', page, re.S)
    assert found, f"no row for task {task_id}"
    return found.group(0)


def text_of(fragment: str) -> str:
    return html_lib.unescape(re.sub(r"<[^>]+>", " ", fragment))


def test_every_row_of_the_supervisors_escalation_inbox_names_its_unit(site):
    escalations = tasks(HumanTask.state == "READY", HumanTask.role == "guo_head", HumanTask.form_key == ESCALATION)
    assert len({t.bpmn_id for t in escalations}) >= 2  # plan reports' and period check-ins' escalations
    names = unit_names({t.unit_code for t in escalations})
    page = site("guo_head").get("/?tab=available&per_page=200").get_data(as_text=True)
    for task in escalations:
        assert names[task.unit_code] in text_of(row_of(page, task.id)), (task.bpmn_id, task.name)
    cells = re.findall(r'<td class="unit"[^>]*>(.*?)</td>', page, re.S)
    assert len(cells) == page.count("<tr", page.index("<tbody>")) and len(cells) >= len(escalations)
    assert all(text_of(cell).strip() not in ("", "—") for cell in cells)  # every row, not only escalations


def test_an_escalation_about_a_school_is_stored_for_that_school(site):
    """The unit filter («Организация») and the unit column read the stored unit: an escalation whose title
    names a school is that school's, also when a department's role handles it (an order's acknowledgement, which
    runs in the school's own instance)."""
    schools = unit_names([f"school-{n}" for n in (1, 2, 3, 5, 8, 12, 17, 33)])
    named = [(t, code) for t in tasks(HumanTask.form_key == ESCALATION, HumanTask.state == "READY")
             for code, name in schools.items() if t.name.endswith(name) or t.name.endswith(name + " (срок прошёл)")]
    assert any(t.process_id == "plan_order_ack" for t, _ in named)
    for task, code in named:
        assert task.unit_code == code, (task.bpmn_id, task.name, task.unit_code)
    guo = site("guo_head")
    task, code = next((t, c) for t, c in named if t.process_id == "plan_order_ack" and t.role == "guo_head")
    assert f"/tasks/{task.id}" in guo.get(f"/?tab=available&unit={code}&per_page=200").get_data(as_text=True)


def test_a_page_long_plan_item_title_is_cut_short_on_a_word_and_kept_whole_in_the_link_title(site):
    long_ones = [t for t in tasks(HumanTask.state == "READY", HumanTask.unit_code == "school-17",
                                  HumanTask.role == "school_head")
                 if len(t.name) > 120]
    assert long_ones
    page = site("head17").get("/?tab=available&per_page=200").get_data(as_text=True)
    for task in long_ones:
        row = row_of(page, task.id)
        link = re.search(r'<a class="title"[^>]*title="([^"]*)"[^>]*>([^<]*)</a>', row)
        full, shown = html_lib.unescape(link.group(1)), html_lib.unescape(link.group(2))
        assert full == task.name
        assert len(shown) <= 80 and shown.endswith("…")
        words, kept = " ".join(task.name.split()), shown[:-1]
        assert words.startswith(kept) and words[len(kept)] in " ,;:.-(«"  # cut where a word ends
        number = (task.columns or {}).get("Пункт плана")
        assert number and number in shown  # the plan item's number is kept


def test_a_page_long_task_has_a_short_heading_its_full_title_and_its_unit_on_its_own_page(site):
    task = next(t for t in tasks(HumanTask.state == "READY", HumanTask.unit_code == "school-17",
                                 HumanTask.role == "school_head") if len(t.name) > 200)
    page = site("head17").get(f"/tasks/{task.id}").get_data(as_text=True)
    heading = html_lib.unescape(re.search(r"<h1>([^<]*)</h1>", page).group(1))
    assert len(heading) <= 141 and heading.endswith("…")
    full = html_lib.unescape(re.search(r'<details class="full-title">.*?<p>([^<]*)</p>', page, re.S).group(1))
    assert full == task.name
    facts = html_lib.unescape(re.search(r'<dl class="facts">(.*?)</dl>', page, re.S).group(1))
    assert "МБОУ «СОШ №17»" in facts
