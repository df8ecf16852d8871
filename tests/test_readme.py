"""The README's first screen is what a newcomer reads: it names both commands and every demo login, with what
each is for."""
import re

from cli.demo import USERS
from config import BASE_DIR


def test_the_readme_names_every_demo_login_with_what_it_is_for_on_its_first_screen():
    first_screen = (BASE_DIR / "README.md").read_text(encoding="utf-8").split("\n## ", 2)[:2]
    text = "\n## ".join(first_screen)
    assert "make run" in text and "make test" in text
    rows = {login: line for line in text.splitlines() if line.startswith("|")
            for login in re.findall(r"`([a-z0-9_]+)`", line.split("|")[1])}
    for login, *_ in USERS:
        assert login in rows, f"the README's login table does not name {login}"
        purpose = rows[login].strip("|").split("|")[-1].strip()
        assert len(purpose) > 10, f"the README does not say what {login} is for"
