"""The admin pages over HTTP (CSRF on): only administrators get in, units and users are created and edited,
deactivation hands claimed tasks back, the Excel import reports bad rows in Russian and changes nothing."""
import io

from openpyxl import load_workbook
from sqlalchemy import func, select

import engine
from engine.db import db
from engine.models import AuditEvent, HumanTask, Membership, Unit, User
from tests.engine.a1 import only, start_check
from tests.engine.test_directory import GOOD_ORGS, GOOD_STAFF, book
from tests.web.conftest import csrf


def _post(client, url, data, page=None, **kwargs):
    """POST `data` to `url` with the CSRF token of `page` (default: the same url)."""
    token = csrf(client.get(page or url))
    return client.post(url, data={**data, "csrf_token": token}, **kwargs)


def _counts():
    return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in (Unit, User, Membership))


def test_only_administrators_get_in_and_a_refusal_is_audited(site, primary_app):
    head = site("head17")
    refused = head.get("/admin/users")
    assert refused.status_code == 403 and "только администраторам" in refused.get_data(as_text=True)
    posted = _post(head, "/admin/units/new", {"code": "school-99", "name": "СОШ №99", "kind": "school"}, page="/")
    assert posted.status_code == 403 and db.session.scalar(select(Unit).where(Unit.code == "school-99")) is None
    assert "/admin/" not in head.get("/").get_data(as_text=True)  # no link in the navigation
    denied = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "denied",
                                                         AuditEvent.actor == "head17")).all()
    assert any("/admin/users" in (e.message or "") for e in denied)
    assert primary_app.test_client().get("/admin/users").status_code == 302  # signed out: to the sign-in page
    admin = site("admin")
    assert 'href="/admin/users"' in admin.get("/").get_data(as_text=True)
    assert admin.get("/admin/units").status_code == 200


def test_admin_creates_a_school_a_ppe_and_a_user_with_a_role(site):
    admin = site("admin")
    wrong = _post(admin, "/admin/units/new", {"code": "ppe-80", "name": "ППЭ №80", "kind": "ppe", "parent": "guo"})
    assert wrong.status_code == 200 and "для ППЭ укажите код школы-базы" in wrong.get_data(as_text=True)
    assert db.session.scalar(select(Unit).where(Unit.code == "ppe-80")) is None
    made = _post(admin, "/admin/units/new", {"code": "school-80", "name": "МБОУ «СОШ №80»", "kind": "school",
                                             "parent": "guo"})
    assert made.status_code == 302
    _post(admin, "/admin/units/new", {"code": "ppe-80", "name": "ППЭ №80", "kind": "ppe", "parent": "guo",
                                      "host": "school-80", "number": "80", "auditoriums": "3"})
    ppe = db.session.scalar(select(Unit).where(Unit.code == "ppe-80"))
    assert (ppe.host.code, ppe.attrs) == ("school-80", {"number": 80, "auditoriums": 3})
    assert "ППЭ №80" in admin.get("/admin/units?kind=ppe").get_data(as_text=True)

    created = _post(admin, "/admin/users/new", {"login": "tech80", "full_name": "Исмаилов И. И.",
                                                "email": "tech80@gia.example", "password": "Секрет-80!"})
    assert created.status_code == 302
    user = engine.user_by_login("tech80")
    page = created.headers["Location"]
    bad = _post(admin, f"/admin/users/{user.id}/memberships", {"role": "ppe_tech", "unit": "school-80"}, page=page)
    assert "назначается в организации типа «ППЭ»" in bad.get_data(as_text=True)
    _post(admin, f"/admin/users/{user.id}/memberships", {"role": "ppe_tech", "unit": "ppe-80"}, page=page)
    _post(admin, f"/admin/users/{user.id}/memberships", {"role": "Технический специалист ППЭ", "unit": "ppe-17"},
          page=page)
    assert sorted((m.role, m.unit.code) for m in engine.user_by_login("tech80").memberships) == [
        ("ppe_tech", "ppe-17"), ("ppe_tech", "ppe-80")]
    second = next(m for m in engine.user_by_login("tech80").memberships if m.unit.code == "ppe-17")
    _post(admin, f"/admin/users/{user.id}/memberships/remove", {"membership": second.id}, page=page)
    assert [(m.role, m.unit.code) for m in engine.user_by_login("tech80").memberships] == [("ppe_tech", "ppe-80")]
    assert "tech80" in admin.get("/admin/users?q=Исмаилов").get_data(as_text=True)
    assert "tech80" not in admin.get("/admin/users?q=Гасанов").get_data(as_text=True)
    assert site_login(site, "tech80", "Секрет-80!")


def site_login(site, login, password) -> bool:
    from flask import current_app
    client = current_app.test_client()
    response = _post(client, "/login", {"login": login, "password": password})
    return response.status_code == 302


def test_the_department_sets_the_exams_a_ppe_hosts(site):
    admin = site("admin")
    ppe = db.session.scalar(select(Unit).where(Unit.code == "ppe-17"))
    page, before = f"/admin/units/{ppe.id}", dict(ppe.attrs or {})
    fields = {"name": ppe.name, "kind": "ppe", "parent": db.session.get(Unit, ppe.parent_id).code, "host": "school-17",
              "number": str(before.get("number", "")), "auditoriums": str(before.get("auditoriums", ""))}
    wrong = _post(admin, page, {**fields, "exams": "ege, химия"})
    assert wrong.status_code == 200 and "неизвестный экзамен «химия»" in wrong.get_data(as_text=True)
    db.session.expire_all()
    assert "exams" not in (db.session.get(Unit, ppe.id).attrs or {})
    assert _post(admin, page, {**fields, "exams": "ЕГЭ"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Unit, ppe.id).attrs == {**before, "exams": ["ege"]}
    assert 'value="ege"' in admin.get(page).get_data(as_text=True)
    assert _post(admin, page, {**fields, "exams": ""}).status_code == 302  # empty again: every exam
    db.session.expire_all()
    assert db.session.get(Unit, ppe.id).attrs == before


def test_deactivating_a_user_hands_their_claimed_task_back_and_keeps_them_out(site):
    instance_id = start_check()
    task = only(instance_id, "checklist")
    tech = site("tech17")
    engine.claim(task.id, engine.user_by_login("tech17"))
    admin = site("admin")
    user_id = engine.user_by_login("tech17").id
    confirm = admin.get(f"/admin/users/{user_id}/deactivate").get_data(as_text=True)
    assert "Отключить tech17?" in confirm and ": 1." in confirm
    done = _post(admin, f"/admin/users/{user_id}/deactivate", {}, follow_redirects=True)
    assert "tech17 отключён; задач возвращено группе: 1." in done.get_data(as_text=True)
    assert db.session.get(HumanTask, task.id).assignee_id is None
    assert tech.get("/").status_code == 302  # the open session no longer works
    assert not site_login(site, "tech17", "demo")
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "claim", AuditEvent.actor == "tech17")) == 1  # history kept
    _post(admin, f"/admin/users/{user_id}/reactivate", {}, page=f"/admin/users/{user_id}")
    assert site_login(site, "tech17", "demo")


def test_an_admin_cannot_deactivate_themselves_or_drop_their_own_admin_role(site):
    admin = site("admin")
    me = engine.user_by_login("admin")
    page = f"/admin/users/{me.id}"
    refused = _post(admin, f"/admin/users/{me.id}/deactivate", {}, page=page, follow_redirects=True)
    assert "Нельзя отключить самого себя" in refused.get_data(as_text=True)
    membership = me.memberships[0]
    kept = _post(admin, f"/admin/users/{me.id}/memberships/remove", {"membership": membership.id}, page=page,
                 follow_redirects=True)
    assert "Нельзя снять роль администратора с самого себя" in kept.get_data(as_text=True)
    assert engine.user_by_login("admin").active and len(engine.user_by_login("admin").memberships) == 1


def test_an_import_with_bad_rows_lists_them_in_russian_and_changes_nothing(site):
    admin = site("admin")
    before = _counts()
    staff = GOOD_STAFF[:2] + [["zavuch70", "Магомедов М. М.", "zavuch@", "завуч", "school-70"]]
    response = _post(admin, "/admin/import", {"file": (io.BytesIO(book(GOOD_ORGS, staff)), "staff.xlsx")},
                     content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Файл не загружен, ничего не изменено. Найдено ошибок: 2." in html
    assert "<td>Сотрудники</td><td>4</td><td>Роль</td><td>неизвестная роль «завуч»</td>" in html
    assert "<td>Сотрудники</td><td>4</td><td>Эл. почта</td><td>«zavuch@» — не адрес электронной почты</td>" in html
    assert _counts() == before

    response = _post(admin, "/admin/import", {"file": (io.BytesIO(b"not a workbook"), "staff.xlsx")},
                     content_type="multipart/form-data")
    assert "Это не файл Excel .xlsx" in response.get_data(as_text=True) and _counts() == before

    good = _post(admin, "/admin/import", {"file": (io.BytesIO(book(GOOD_ORGS, GOOD_STAFF)), "staff.xlsx")},
                 content_type="multipart/form-data")
    assert good.status_code == 200 and "Загружен файл: staff.xlsx." in good.get_data(as_text=True)
    assert db.session.scalar(select(Unit).where(Unit.code == "ppe-70")).host.code == "school-70"


def test_the_template_and_the_export_are_valid_workbooks(site):
    admin = site("admin")
    template = admin.get("/admin/import/template.xlsx")
    assert template.status_code == 200 and template.mimetype.endswith("spreadsheetml.sheet")
    book_ = load_workbook(io.BytesIO(template.data))
    assert book_.sheetnames == ["Организации", "Сотрудники", "Справочник"]
    assert "ppe-17" in {c.value for row in book_["Справочник"].iter_rows() for c in row}  # units in the system
    export = load_workbook(io.BytesIO(admin.get("/admin/users.xlsx?q=tech&state=all").data))
    logins = {row[0].value for row in export["Сотрудники"].iter_rows(min_row=2)}
    assert logins == {"tech12", "tech17"}
