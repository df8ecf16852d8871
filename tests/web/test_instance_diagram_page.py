"""One instance's diagram page with a task someone has taken: the task list names who took it (the page once
answered 500 here: dict() read the database's result as a mapping)."""
import engine
from tests.engine.a1 import only, start_check


def test_an_instance_whose_task_is_taken_shows_on_its_diagram_with_who_took_it(site):
    instance_id = start_check("ppe-17", due="2031-03-19")
    check = only(instance_id, "checklist")
    engine.claim(check.id, engine.user_by_login("tech17"))
    response = site("iao").get(f"/instances/{instance_id}/diagram")
    assert response.status_code == 200
    assert "Гасанов Р.А." in response.get_data(as_text=True) or "tech17" in response.get_data(as_text=True)
