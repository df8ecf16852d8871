"""Drafts through the REST API (issue 10, point 27): GET/PUT /api/v1/tasks/{id}/draft read and write the caller's
own draft, the one the task page shows; nobody else's, never in the task's or the instance's data."""
from tests.engine.a1 import checklist, only, start_check

TYPED = "Подавитель заменён; проверен в аудитории 2"


def test_a_draft_through_the_api_is_private_and_goes_with_the_task(api, set_clock):
    set_clock("2021-03-15T10:00:00+03:00")
    instance_id = start_check()
    api.post(f"/tasks/{only(instance_id, 'checklist').id}/complete", "tech17",
             json=checklist(faulty=["jammer"], checked_on="2021-03-15"))
    fix = only(instance_id, "fix_task").id
    draft = f"/tasks/{fix}/draft"

    assert api.get(draft, "head17").get_json() == {"data": None, "updated_at": None}
    saved = api.call("PUT", draft, "head17", json={"action": TYPED, "fixed_on": "2021-03-1", "other": 1})
    assert saved.status_code == 200 and saved.get_json()["data"] == {"action": TYPED, "fixed_on": "2021-03-1"}
    assert api.get(draft, "head17").get_json()["data"] == {"action": TYPED, "fixed_on": "2021-03-1"}

    # tech17 sees the task and its instance (his PPE's) but neither holds the draft, nor may he write one.
    assert api.get(draft, "tech17").get_json()["data"] is None
    assert api.call("PUT", draft, "tech17", json={"action": "x"}).status_code == 403
    assert api.get(draft, "head12").status_code == 404
    for login in ("head17", "tech17"):
        assert TYPED not in api.get(f"/tasks/{fix}", login).get_data(as_text=True)
        assert TYPED not in api.get(f"/instances/{instance_id}", login).get_data(as_text=True)

    assert api.call("PUT", draft, "head17", json={"action": "a\x00b"}).status_code == 422
    assert api.post(f"/tasks/{fix}/complete", "head17",
                    json={"action": "Подавитель заменён", "fixed_on": "2021-03-15"}).status_code == 200
    assert api.get(draft, "head17").get_json()["data"] is None
    assert api.call("PUT", draft, "head17", json={"action": TYPED}).status_code == 409
