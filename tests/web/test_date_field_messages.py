"""A date left empty is a missing value, not a malformed one: «Обязательное поле.» for a required date, nothing
for an optional one; a date typed wrong still says «Неверное значение даты.»."""
from werkzeug.datastructures import MultiDict

import forms
from forms import parse
from tests.engine.a1 import checklist, only, start_check
from tests.web.conftest import csrf, posted

DATES = parse({"key": "dates", "fields": [{"name": "held_on", "type": "date", "label": "Дата", "required": True},
                                          {"name": "moved_to", "type": "date", "label": "Перенос"}]})


def _errors(held_on, moved_to=""):
    form = forms.bind_post(DATES, MultiDict({"held_on": held_on, "moved_to": moved_to}), {})
    form.validate()
    return forms.field_errors(form)


def test_an_empty_required_date_is_reported_as_missing_on_the_task_page(site):
    instance_id = start_check()
    task = only(instance_id, "checklist")
    tech = site("tech17")
    token = csrf(tech.get(f"/tasks/{task.id}"))
    page = tech.post(f"/tasks/{task.id}", data={**posted(checklist()), "checked_on": "", "csrf_token": token})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Исправьте отмеченные поля" in html
    assert "Обязательное поле." in html and "Неверное значение даты." not in html
    assert only(instance_id, "checklist").state == "READY"


def test_required_and_optional_dates_empty_and_malformed(app):
    assert [str(m) for m in _errors("")["held_on"]] == ["Обязательное поле."]
    assert [str(m) for m in _errors("   ")["held_on"]] == ["Обязательное поле."]
    assert [str(m) for m in _errors("18.03.2021")["held_on"]] == ["Неверное значение даты."]
    assert "moved_to" not in _errors("2021-03-18", "")  # an optional date may stay empty
    assert [str(m) for m in _errors("2021-03-18", "завтра")["moved_to"]] == ["Неверное значение даты."]
    assert _errors("2021-03-18", "2021-03-20") == {}
