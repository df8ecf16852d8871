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


def test_every_file_and_name_the_readme_points_to_exists():
    """"Where to look" answers in one step only while its paths and the names beside them are still true."""
    text = (BASE_DIR / "README.md").read_text(encoding="utf-8")
    paths = set(re.findall(r"`((?:engine|webui|cli|forms|processes|bench|tests|migrations)/[\w./-]+)`", text))
    assert len(paths) > 15
    for path in sorted(paths):
        assert (BASE_DIR / path).exists(), f"the README points to {path}, which does not exist"
    for path, names in re.findall(r"`(engine/[\w/]+\.py)` \(?((?:`\w+`(?:, | and |: )?)+)", text):
        source = (BASE_DIR / path).read_text(encoding="utf-8")
        for name in re.findall(r"`(\w+)`", names):
            assert re.search(rf"^\s*(?:def|class) {name}\b|^{name} = ", source, re.M), \
                f"the README says {path} holds {name}"
