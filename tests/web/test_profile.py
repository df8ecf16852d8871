"""The profile page over HTTP (CSRF on): API tokens made (shown once) and revoked, the language switch, the
e-mail opt-out, absences with a deputy chosen among colleagues."""
import re

import engine
from engine.db import db
from engine.models import Absence, ApiToken, AuditEvent
from tests.web.conftest import csrf


def _token_on_page(html):
    found = re.search(r'<code id="new-token">([^<]+)</code>', html)
    return found.group(1) if found else None


def test_a_token_is_made_shown_once_used_and_revoked(site, primary_app):
    tech = site("tech17")
    page = tech.get("/profile")
    assert page.status_code == 200 and "Токены API" in page.get_data(as_text=True)
    made = tech.post("/profile/tokens", data={"csrf_token": csrf(page), "name": "скрипт отчётов", "days": "30"})
    html = made.get_data(as_text=True)
    token = _token_on_page(html)
    assert made.status_code == 200 and token.startswith("gia_") and "показывается только один раз" in html
    row = db.session.query(ApiToken).one()
    assert row.name == "скрипт отчётов" and row.expires_at is not None and token not in (row.token_hash, row.prefix)

    api = primary_app.test_client()
    assert api.get("/api/v1/tasks", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    again = tech.get("/profile").get_data(as_text=True)
    assert _token_on_page(again) is None and token not in again and row.prefix in again and "действует" in again

    revoked = tech.post(f"/profile/tokens/{row.id}/revoke", data={"csrf_token": csrf(tech.get("/profile"))},
                        follow_redirects=True)
    html = revoked.get_data(as_text=True)
    assert "Токен «скрипт отчётов» отозван." in html and "Отозвать</button>" not in html
    assert api.get("/api/v1/tasks", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_a_token_without_a_name_is_refused_and_nothing_is_made(site):
    tech = site("tech17")
    page = tech.post("/profile/tokens", data={"csrf_token": csrf(tech.get("/profile")), "name": " ", "days": "0"})
    assert page.status_code == 400 and "Назовите токен." in page.get_data(as_text=True)
    assert db.session.query(ApiToken).count() == 0


def test_nobody_revokes_someone_else_s_token_and_the_attempt_is_recorded(site):
    row, _plaintext = engine.create_token(engine.user_by_login("tech17"), "чужой")
    head12 = site("head12")
    response = head12.post(f"/profile/tokens/{row.id}/revoke", data={"csrf_token": csrf(head12.get("/profile"))})
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(ApiToken, row.id).revoked_at is None
    assert db.session.query(AuditEvent).filter_by(action="denied", actor="head12").count() == 1


def test_the_language_switch_changes_the_interface_language(site):
    tech = site("tech17")
    assert "Мои задачи" in tech.get("/").get_data(as_text=True)
    saved = tech.post("/profile/settings", data={"csrf_token": csrf(tech.get("/profile")), "locale": "en"},
                      follow_redirects=True)
    assert "Settings saved." in saved.get_data(as_text=True)
    assert engine.user_by_login("tech17").locale == "en"
    html = tech.get("/").get_data(as_text=True)
    assert "My tasks" in html and "Мои задачи" not in html
    tech.post("/profile/settings", data={"csrf_token": csrf(tech.get("/profile")), "locale": "ru"})
    assert "Мои задачи" in tech.get("/").get_data(as_text=True)
    assert "Мои задачи" in site("head17").get("/").get_data(as_text=True)  # only her own choice changed


def test_the_e_mail_opt_out_is_saved(site):
    tech = site("tech17")
    tech.post("/profile/settings", data={"csrf_token": csrf(tech.get("/profile")), "locale": "ru",
                                         "email_opt_out": "y"})
    db.session.expire_all()
    assert engine.user_by_login("tech17").email_opt_out is True
    assert re.search(r'<input checked[^>]*name="email_opt_out"', tech.get("/profile").get_data(as_text=True))
    tech.post("/profile/settings", data={"csrf_token": csrf(tech.get("/profile")), "locale": "ru"})
    db.session.expire_all()
    assert engine.user_by_login("tech17").email_opt_out is False
    assert not re.search(r'<input checked[^>]*name="email_opt_out"', tech.get("/profile").get_data(as_text=True))


def test_an_absence_is_added_with_a_colleague_as_deputy_and_ended(site):
    tech = site("tech17")
    page = tech.get("/profile").get_data(as_text=True)
    choices = re.findall(r'<option[^>]*value="([^"]+)"', page.split('name="deputy"')[1].split("</select>")[0])
    assert "head17" in choices and "head12" not in choices and "tech17" not in choices

    refused = tech.post("/profile/absences", data={"csrf_token": csrf(tech.get("/profile")), "deputy": "head12",
                                                   "starts_on": "2031-01-10", "ends_on": "2031-01-20"})
    assert refused.status_code == 400 and db.session.query(Absence).count() == 0
    backwards = tech.post("/profile/absences", data={"csrf_token": csrf(tech.get("/profile")), "deputy": "head17",
                                                     "starts_on": "2031-01-20", "ends_on": "2031-01-10"})
    assert backwards.status_code == 400 and "заканчивается раньше" in backwards.get_data(as_text=True)

    added = tech.post("/profile/absences", data={"csrf_token": csrf(tech.get("/profile")), "deputy": "head17",
                                                 "starts_on": "2031-01-10", "ends_on": "2031-01-20"},
                      follow_redirects=True)
    html = added.get_data(as_text=True)
    assert "Отсутствие записано" in html and "10.01.2031" in html and "Омарова З.К." in html
    [absence] = engine.absences(engine.user_by_login("tech17"))
    assert absence.deputy_id == engine.user_by_login("head17").id
    assert "Гасанов Р.А." in site("head17").get("/profile").get_data(as_text=True)  # the deputy sees it too

    head12 = site("head12")
    foreign = head12.post(f"/profile/absences/{absence.id}/end", data={"csrf_token": csrf(head12.get("/profile"))})
    assert foreign.status_code == 404 and db.session.query(Absence).count() == 1
    assert db.session.query(AuditEvent).filter_by(action="denied", actor="head12").count() == 1

    ended = tech.post(f"/profile/absences/{absence.id}/end", data={"csrf_token": csrf(tech.get("/profile"))},
                      follow_redirects=True)
    assert "Отсутствие завершено." in ended.get_data(as_text=True)
    assert db.session.query(Absence).count() == 0


def test_profile_forms_need_the_csrf_token(site):
    tech = site("tech17")
    assert tech.post("/profile/tokens", data={"name": "без CSRF"}).status_code == 400
    assert tech.post("/profile/settings", data={"locale": "en"}).status_code == 400
    assert db.session.query(ApiToken).count() == 0 and engine.user_by_login("tech17").locale != "en"
