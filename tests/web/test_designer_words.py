"""The modeller's own words (issue 14 §1, "in Russian", through Flask-Babel like every text of the site): the
properties panel's groups, a timer's next firing and the modelling rules' messages come from the page's data
(webui/designer_words.py), never from a module of ours (webui/frontend/*.js); only bpmn-js's own library words stay
in translations-ru.js, for its translate hook. A designer reads them in Russian by default, in English when chosen,
and every word a module asks for is there."""
import json
import re

from config import BASE_DIR
from tests.web.test_designer_pages import _page_data

FRONTEND = BASE_DIR / "webui" / "frontend"
LIBRARY_WORDS = {"translations-ru.js"}  # bpmn-js's palette, context pad… (the community's Russian strings)
CYRILLIC = re.compile("[\u0400-\u04ff]+")


def test_no_module_of_ours_writes_a_word_of_russian():
    found = {path.name: CYRILLIC.findall(path.read_text("utf-8"))[:3]
             for path in sorted(FRONTEND.glob("*.js")) if path.name not in LIBRARY_WORDS}
    assert len(found) > 10
    assert not {name: words for name, words in found.items() if words}


def test_the_modeller_page_gives_its_modules_their_words_in_russian(site):
    words = _page_data(site("designer").get("/designer/plan_school_report"))["words"]
    assert words["properties"]["expressions"]["due"]["label"] == "Срок — выражение"
    assert words["properties"]["groups"]["task"] == "Задача исполнителя"
    assert words["correlation"]["code_taken"] == "Код {code} уже занят в этой схеме."
    assert words["timer"]["moment"] == "{day} {month} {year} г. в {time} (МСК)"
    assert words["timer"]["months"][1] == "февраля"  # the genitive: «1 февраля»
    assert words["timer"]["units"]["D"] == {"one": "{count} день", "few": "{count} дня", "many": "{count} дней"}
    assert words["timer"]["locale"] == "ru"
    assert words["lint"]["no-disconnected"]["Element is not connected"].startswith("Элемент ни с чем не соединён")
    assert all(CYRILLIC.search(text) for rule in words["lint"].values() for text in rule.values())


def test_a_designer_who_chose_english_reads_the_modeller_in_english(site):
    designer = site("designer")
    designer.set_cookie("lang", "en")
    words = _page_data(designer.get("/designer/plan_school_report"))["words"]
    assert words["properties"]["expressions"]["due"]["label"] == "Due date as an expression"
    assert words["timer"]["months"][1] == "February"
    assert words["timer"]["units"]["D"] == {"one": "{count} day", "other": "{count} days"}
    assert not CYRILLIC.search(json.dumps(words, ensure_ascii=False))


def test_every_word_a_module_asks_for_is_on_the_page(site):
    """A missing word would show as its path ("correlation.code_taken"): each literal path our modules name
    (word("…"), wordsAt("…"), the panel's group titles) is in the page's words."""
    words = _page_data(site("designer").get("/designer/plan_school_report"))["words"]
    asked = set()
    for path in FRONTEND.glob("*.js"):
        text = path.read_text("utf-8")
        asked |= {path for pair in re.findall(r'\bwordsAt\("([\w.-]+)"|\bword\("([\w.-]+)"', text)
                  for path in pair if path}
        asked |= {f"properties.groups.{name}" for name in re.findall(r'\btitle\("(\w+)"\)', text)}
    spiff = (FRONTEND / "spiff-properties.js").read_text("utf-8")
    expressions = re.search(r"const EXPRESSIONS = \[([^\]]*)\]", spiff).group(1)
    for name in re.findall(r'"(\w+)"', expressions):
        asked |= {f"properties.expressions.{name}.label", f"properties.expressions.{name}.help"}
    assert len(asked) > 60

    def at(path):
        node = words
        for key in path.split("."):
            node = node.get(key) if isinstance(node, dict) else None
        return node

    assert not sorted(path for path in asked if at(path) in (None, ""))
