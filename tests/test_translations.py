"""Every user-facing text in the code has a Russian translation (the UI is served in Russian by default)."""
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from config import BASE_DIR

KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}


def _messages_in_code():
    with open(BASE_DIR / "babel.cfg") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(BASE_DIR), method_map, options_map, keywords=KEYWORDS):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def _catalogue(lang):
    with open(BASE_DIR / "webui" / "translations" / lang / "LC_MESSAGES" / "messages.po", "rb") as po:
        return read_po(po)


def test_every_message_in_the_code_has_a_russian_translation():
    ru = _catalogue("ru")
    missing = sorted(m for m in _messages_in_code() if not ru.get(m) or not ru.get(m).string
                     or (isinstance(ru.get(m).string, tuple) and not all(ru.get(m).string)))
    assert not missing, "untranslated (run `make translations-update` and translate):\n" + "\n".join(missing)


def test_english_catalogue_covers_the_same_messages():
    en, ru = _catalogue("en"), _catalogue("ru")
    assert {m.id for m in ru if m.id} <= {m.id for m in en if m.id}
