"""The inbox of a lived plan on a 1440 px screen: one task a row, two lines at most (a short title, then the
diagram's details), every row naming its unit, and nothing wider than the screen."""
import pytest

from tests.browser.test_a1_journey import sign_in, sign_out
from tests.web.lived import live_plan

pytestmark = pytest.mark.browser

ROWS = """() => Array.from(document.querySelectorAll('table.inbox tbody tr')).map(row => {
  const cell = row.querySelector('td');
  const style = getComputedStyle(cell);
  return {height: row.getBoundingClientRect().height, line: parseFloat(style.lineHeight),
          padding: parseFloat(style.paddingTop) + parseFloat(style.paddingBottom),
          unit: (row.querySelector('td.unit') || {innerText: ''}).innerText.trim(), title: row.querySelector('a').innerText};
})"""


@pytest.fixture
def lived(live):
    base, app = live
    with app.app_context():
        live_plan()
        from engine.db import db
        db.session.remove()
    return base


def test_one_task_a_row_in_a_line_or_two_on_a_1440_screen(page, lived):
    page.set_viewport_size({"width": 1440, "height": 900})
    for login in ("iao", "iao_head", "guo_head", "head17"):
        sign_in(page, lived, login)
        page.goto(f"{lived}/?tab=available&per_page=50")
        rows = page.evaluate(ROWS)
        assert len(rows) >= (10 if login.endswith("_head") else 3), login
        for row in rows:
            assert row["height"] <= 2 * row["line"] + row["padding"] + 2, (login, row)
            assert row["unit"] not in ("", "—"), (login, row)
            assert len(row["title"]) <= 80, (login, row)
        assert page.evaluate("document.documentElement.scrollWidth") <= 1440, login
        sign_out(page)
