"""The `flask gia` contract itself: users and roles, JSON types, instance statuses, and how failures look."""
import json

from tests.cli.conftest import DIAGRAMS, by_bpmn_id

TYPED = {"count": 3, "ratio": 0.75, "urgent": True, "closed": False, "note": None, "tags": ["a", 1, None],
         "address": {"city": "Makhachkala", "geo": [42.98, 47.5], "floors": {"ground": 1}}, "text": "Ünïcödé"}


def test_users_units_and_lanes_decide_who_may_act_and_start_uses_the_latest_version(gia, tmp_path):
    """A lane name that is no known role ("Manager") becomes one, held in a unit named on the command line; a
    task outside any lane is anyone's; a user without the lane's role, or in another unit, is refused; the
    administrator may complete anything. A second deployment of a process is what `start` uses next."""
    bob = gia("user", "create", "bob", "--role", "Manager", "--unit", "Sales")
    gia.users(("olga", "Manager", "Purchasing"))
    again, deployed = gia.together(lambda: gia("user", "create", "bob", "--role", "Manager", "--unit", "Sales"),
                                   lambda: gia.deploy("expense_approval.bpmn", "inclusive_checks.bpmn"))
    assert again == bob and (bob["login"], bob["role"], bob["unit"]) == ("bob", "manager", "Sales")
    expense, onboarding = gia.together(
        lambda: gia.start("expense_approval", unit="Sales"),
        lambda: gia.start("onboarding_checks", {"needs_laptop": False, "clearance": 0}))

    [basic], [submit] = gia.together(lambda: gia.tasks(user="bob"), lambda: gia.tasks(instance=expense))
    # Not Task_submit: that one is the Employee lane's.
    assert (basic["instance_id"], basic["bpmn_id"], basic["role"]) == (onboarding, "Task_basic", None)
    assert (submit["bpmn_id"], submit["role"], submit["unit"]) == ("Task_submit", "employee", "Sales")
    welcome, errors = gia.together(lambda: gia.complete(basic, "bob")["next_tasks"],
                                   lambda: gia.fails_json("complete", submit["id"], "--user", "bob"))
    assert [t["bpmn_id"] for t in welcome] == ["Task_welcome"]
    assert len(errors) == 1
    [approve] = gia.complete(submit, "admin", {"amount": 5000})["next_tasks"]
    assert gia.fails("complete", approve["id"], "--user", "olga")  # a Manager, of another unit
    assert gia.complete(approve, "bob", {"approved": False})["status"] == "completed"  # rejected

    v2 = tmp_path / "expense_approval.bpmn"
    v2.write_text((DIAGRAMS / "expense_approval.bpmn").read_text().replace(
        'name="Submit expense"', 'name="Submit expense report"'))
    redeployed = gia("deploy", v2)
    assert redeployed == {"process_ids": ["expense_approval"], "collaborations": ["Collaboration_expense"],
                          "version": deployed["version"] + 1}
    [submit] = gia.tasks(instance=gia.start("expense_approval"))
    assert submit["name"] == "Submit expense report"


def test_statuses_and_json_types(gia):
    """stalled (a modelling error: an AND join after an XOR split), error and retry, suspended, resumed,
    cancelled; start and complete data keep their JSON types in `instance show`."""
    gia.deploy("deadlocked_join.bpmn", "expense_approval.bpmn")
    visa, expense = gia.together(lambda: gia.start("visa_application", TYPED),
                                 lambda: gia.start("expense_approval", {"employee": "emma"}))
    tasks = by_bpmn_id(gia.tasks())

    submitted = {"purpose": "tourism", "days": 14, "fee": 80.5, "minors": [], "insured": True, "sponsor": None}
    stalled, [error] = gia.together(
        lambda: gia.complete(tasks["Task_apply"], data=submitted),
        # No `amount`: the gateway's condition fails; the instance is in error, the task not completed.
        lambda: gia.fails("complete", tasks["Task_submit"]["id"], "--user", "admin", data={"purpose": "taxi"}))
    assert stalled == {"instance_id": visa, "status": "stalled", "next_tasks": []}
    assert f"instance {expense}" in error and "amount" in error

    visa_shown, expense_shown = gia.together(lambda: gia.show(visa), lambda: gia.show(expense))
    assert (visa_shown["status"], visa_shown["waiting_for"], visa_shown["error"]) == ("stalled", [], None)
    assert visa_shown["data"] == {**TYPED, **submitted, "hotel": True}
    assert expense_shown["status"] == "error" and "Gateway_amount" in expense_shown["error"]
    assert gia("instance", "retry", expense, data={"amount": 20}) == {"instance_id": expense, "status": "running"}

    assert gia("instance", "suspend", expense)["status"] == "suspended"
    shown, listed = gia.together(lambda: gia.show(expense), lambda: gia.tasks(instance=expense, all=True))
    assert shown["status"] == "suspended"
    assert shown["data"] == {"employee": "emma", "purpose": "taxi", "amount": 20}
    [book] = [t for t in listed if t["bpmn_id"] == "Task_book"]
    assert book["state"] == "READY"
    assert gia.fails("complete", book["id"], "--user", "admin")
    assert gia("instance", "resume", expense)["status"] == "running"

    assert gia("instance", "cancel", expense)["status"] == "cancelled"
    shown, _ = gia.together(lambda: gia.show(expense), lambda: gia.fails("instance", "cancel", expense))
    assert shown["status"] == "cancelled" and shown["waiting_for"] == []
    assert shown["data"] == {"employee": "emma", "purpose": "taxi", "amount": 20}


def test_every_failure_exits_1_with_error_lines(gia, tmp_path):
    not_bpmn = tmp_path / "notes.bpmn"
    not_bpmn.write_text("this is not XML")
    broken = tmp_path / "broken.bpmn"
    broken.write_text((DIAGRAMS / "expense_approval.bpmn").read_text().replace("amount &gt; 1000", "amount &gt;"))

    # Nothing here changes the database: the commands can run side by side.
    missing, not_xml, [problem], *rest = gia.together(
        lambda: gia.fails("deploy", tmp_path / "missing.bpmn"),
        lambda: gia.fails("deploy", not_bpmn),
        lambda: gia.fails("deploy", broken),
        lambda: gia.fails_json("start", "no_such_process"),
        lambda: gia.fails("start", "no_such_process", data="{not json"),
        lambda: gia.fails_json("complete", "0b127fd8-edda-40ba-97b3-03bfbb31a4b7"),  # --user is required
        lambda: gia.fails_json("instance", "show", "999"),
        lambda: gia.fails_json("message", "nobody_waits", data={"x": 1}))
    assert "missing.bpmn" in missing[0] and "notes.bpmn" in not_xml[0]
    assert "broken.bpmn" in problem and "Gateway_amount" in problem
    assert all(rest)
    gia.clock("2030-01-01T00:00:00+00:00")
    assert gia.fails("timers", "tick", "--now", "2029-12-31T00:00:00+00:00")  # time does not run backwards
    done = gia.run("timers", "tick", "--now", "2030-01-02T00:00:00+00:00", "--json")
    assert done.returncode == 0 and json.loads(done.stdout) == {
        "now": "2030-01-02T00:00:00+00:00", "fired": [], "failed": [], "next_due": None}
