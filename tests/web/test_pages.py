"""The web UI over HTTP (Flask's test client, CSRF on): sign-in, privacy, refused posts, double completion."""
import io
import re

import engine
from engine.db import db
from engine.models import AuditEvent
from tests.engine.a1 import checklist, only, start_check
from tests.web.conftest import csrf, posted


def test_wrong_password_is_refused_in_russian(site, primary_app):
    client = primary_app.test_client()
    token = csrf(client.get("/login"))
    page = client.post("/login", data={"login": "tech17", "password": "nope", "csrf_token": token})
    assert page.status_code == 200 and "Неверный логин или пароль" in page.get_data(as_text=True)
    assert client.get("/").status_code == 302  # still signed out


def test_each_person_lands_on_her_roles_first_page_unless_she_was_on_her_way_elsewhere(site, primary_app):
    def signed_in(login, next_page=None):
        client = primary_app.test_client()
        token = csrf(client.get("/login"))
        response = client.post("/login" + (f"?next={next_page}" if next_page else ""),
                               data={"login": login, "password": "demo", "csrf_token": token})
        assert response.status_code == 302
        return response.headers["Location"]

    # the department's heads: the plan at a glance; operators: the incidents; everyone else: the inbox
    assert {login: signed_in(login) for login in ("guo_head", "iao_head", "operator", "iao", "head17", "admin")} \
        == {"guo_head": "/plan/", "iao_head": "/plan/", "operator": "/incidents", "iao": "/", "head17": "/",
            "admin": "/"}
    assert signed_in("guo_head", "/instances") == "/instances"


def test_a_form_posted_without_csrf_token_is_refused(site):
    tech = site("tech17")
    instance_id = start_check()
    task = only(instance_id, "checklist")
    response = tech.post(f"/tasks/{task.id}", data={"checked_on": "2021-03-18"})
    assert response.status_code == 400 and "Форма устарела" in response.get_data(as_text=True)
    assert only(instance_id, "checklist").state == "READY"


def test_head_of_another_school_sees_neither_the_task_nor_the_instance(site):
    instance_id = start_check()
    task = only(instance_id, "checklist")
    head12 = site("head12")
    assert task.name not in head12.get("/").get_data(as_text=True)
    assert head12.get(f"/tasks/{task.id}").status_code == 404  # as if there were none (issue 10, point 22)
    assert head12.get(f"/instances/{instance_id}").status_code == 404
    activity = head12.get("/activities/ppe_tech_check").get_data(as_text=True)
    assert "ППЭ №17" not in activity and "Это мероприятие ещё ни для кого не запущено" in activity
    tech17 = site("tech17")
    assert task.name in tech17.get("/").get_data(as_text=True)
    assert tech17.get(f"/instances/{instance_id}").status_code == 200


def test_invalid_checklist_keeps_what_was_typed_and_changes_nothing(site):
    instance_id = start_check()
    task = only(instance_id, "checklist")
    tech = site("tech17")
    token = csrf(tech.get(f"/tasks/{task.id}"))
    page = tech.post(f"/tasks/{task.id}", data={"csrf_token": token, "jammer-status": "faulty",
                                                 "printing-0-room": "Ауд. 101", "checked_on": "18.03.2021"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Исправьте отмеченные поля" in html
    assert "Обязательное поле" in html and 'value="Ауд. 101"' in html
    assert "Неверное значение даты." in html  # WTForms own message, in Russian
    assert only(instance_id, "checklist").state == "READY"


def test_completing_a_task_twice_in_two_tabs_is_refused_the_second_time(site):
    instance_id = start_check()
    task = only(instance_id, "checklist")
    tech = site("tech17")
    token = csrf(tech.get(f"/tasks/{task.id}"))
    form = posted(checklist(faulty=["jammer"]))
    first = tech.post(f"/tasks/{task.id}", data={**form, "csrf_token": token})
    assert first.status_code == 302
    second = tech.post(f"/tasks/{task.id}", data={**form, "csrf_token": token}, follow_redirects=True)
    assert "Вы не можете выполнить эту задачу сейчас" in second.get_data(as_text=True)
    assert len(engine.list_tasks(instance_id=instance_id)) == 1  # one fix task, not two


def _post_checklist_with_photo(site, photo: tuple):
    """tech17 posts the checklist with the jammer faulty and `photo` (bytes, name) attached."""
    instance_id = start_check()
    task = only(instance_id, "checklist")
    tech = site("tech17")
    form = {**posted(checklist(faulty=["jammer"])), "csrf_token": csrf(tech.get(f"/tasks/{task.id}")),
            "jammer-photo": (io.BytesIO(photo[0]), photo[1])}
    return instance_id, tech.post(f"/tasks/{task.id}", data=form, content_type="multipart/form-data")


def test_uploaded_photo_is_downloadable_only_by_who_may_see_the_process(site):
    instance_id, response = _post_checklist_with_photo(site, (b"\x89PNG\r\n\x1a\nphoto", "jammer.png"))
    assert response.status_code == 302
    photo = engine.detail(instance_id)["data"]["checklist"]["jammer"]["photo"]
    assert photo["filename"] == "jammer.png"
    url = f"/files/{photo['attachment_id']}"
    assert site("head17").get(url).data.startswith(b"\x89PNG")
    assert site("head12").get(url).status_code == 404


def test_a_forbidden_file_type_is_refused_with_the_input_kept(site):
    instance_id, page = _post_checklist_with_photo(site, (b"MZ\x90\x00", "virus.exe"))
    html = page.get_data(as_text=True)
    assert re.search(r'<input checked[^>]*name="jammer-status"[^>]*value="faulty"', html)  # the input is kept
    assert page.status_code == 200 and "Файлы такого типа не принимаются" in page.get_data(as_text=True)
    assert only(instance_id, "checklist").state == "READY"


def test_completion_by_someone_else_is_refused_and_recorded(site, primary_app):
    instance_id = start_check()
    task = only(instance_id, "checklist")
    head12 = site("head12")
    response = head12.post(f"/tasks/{task.id}", data=posted(checklist()))
    assert response.status_code in (400, 403)
    try:
        engine.complete(task.id, engine.user_by_login("head12"), checklist())
    except engine.PermissionDenied as refused:
        assert "не можете" in refused.message
    assert db.session.query(AuditEvent).filter_by(action="denied", actor="head12").count() >= 1
    assert only(instance_id, "checklist").state == "READY"


def test_claiming_makes_the_task_mine_and_releasing_gives_it_back(site):
    instance_id = start_check()
    task = only(instance_id, "checklist")
    tech = site("tech17")
    token = csrf(tech.get(f"/tasks/{task.id}"))
    page = tech.post(f"/tasks/{task.id}/claim", data={"csrf_token": token}, follow_redirects=True)
    assert "Задача теперь ваша" in page.get_data(as_text=True) and "Вернуть группе" in page.get_data(as_text=True)
    db.session.expire_all()
    assert only(instance_id, "checklist").assignee_id == engine.user_by_login("tech17").id
    engine.ensure_user("tech17b", "ppe_tech", "ppe-17", password="demo")
    with_other = site("tech17b")
    assert "Задача адресована другой роли" in with_other.get(f"/tasks/{task.id}").get_data(as_text=True)
    page = tech.post(f"/tasks/{task.id}/unclaim", data={"csrf_token": token}, follow_redirects=True)
    assert "Задача возвращена группе" in page.get_data(as_text=True)
    db.session.expire_all()
    assert only(instance_id, "checklist").assignee_id is None


def test_administrator_repairs_a_failed_step_with_corrected_data(site):
    from tests.conftest import linear
    engine.deploy([("repair.bpmn", linear('<bpmn:userTask id="n1" name="Заполнить"/>',
                                          '<bpmn:scriptTask id="n2"><bpmn:script>total = base * 2</bpmn:script>'
                                          '</bpmn:scriptTask>', '<bpmn:userTask id="n3" name="Проверить"/>',
                                          process_id="repair"))])
    instance_id = engine.start("repair", {}).instance_id
    task = engine.list_tasks(instance_id=instance_id)[0]
    try:
        engine.complete(task.id, engine.user_by_login("admin"), {})
    except engine.ProcessError as failed:
        assert "n2" in failed.message and "base" in failed.message
    assert engine.detail(instance_id)["status"] == "error"

    admin = site("admin")
    page = admin.get(f"/instances/{instance_id}").get_data(as_text=True)
    assert "Применить шаг снова" in page
    token = csrf(admin.get(f"/instances/{instance_id}"))
    refused = admin.post(f"/instances/{instance_id}/retry", data={"csrf_token": token, "corrections": "[1]",
                                                                 "reason": "исправлены данные"}, follow_redirects=True)
    assert "JSON-объект" in refused.get_data(as_text=True)
    assert site("iao").post(f"/instances/{instance_id}/retry", data={"csrf_token": token}).status_code in (400, 403)
    done = admin.post(f"/instances/{instance_id}/retry", data={"csrf_token": token, "corrections": '{"base": 21}',
                                                              "reason": "исправлены данные"}, follow_redirects=True)
    assert "Шаг применён снова" in done.get_data(as_text=True)
    detail = engine.detail(instance_id)
    assert detail["status"] == "running" and detail["data"]["total"] == 42


def test_repeated_wrong_passwords_lock_the_login_for_a_while(site, primary_app):
    client = primary_app.test_client()
    token = csrf(client.get("/login"))
    for _ in range(5):
        client.post("/login", data={"login": "tech17", "password": "guess", "csrf_token": token})
    locked = client.post("/login", data={"login": "tech17", "password": "demo", "csrf_token": token})
    assert locked.status_code == 429 and "Слишком много неудачных попыток" in locked.get_data(as_text=True)
    assert client.get("/").status_code == 302
    assert db.session.query(AuditEvent).filter_by(action="login_locked", actor="tech17").count() == 1
    site("head12")  # other logins are not affected
    from datetime import timedelta
    from engine import clock
    clock.set_mode("manual", clock.now() + timedelta(minutes=16))
    db.session.commit()
    assert client.post("/login", data={"login": "tech17", "password": "demo", "csrf_token": token}).status_code == 302
