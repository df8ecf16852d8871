"""`flask gia instance edit/skip/back/move-due`: an operator's repairs from the command line, each requiring
--reason (engine.service.repair); their failures in the contract's format."""
from tests.cli.conftest import by_bpmn_id
from tests.engine.test_repair import FLOW

REASON = ("--reason", "школа попросила")


def test_the_repairs_from_the_command_line(gia, tmp_path):
    gia.clock("2021-03-15T09:00:00+03:00")
    diagram = tmp_path / "repair_flow.bpmn"
    diagram.write_bytes(FLOW)
    gia("deploy", diagram)
    instance = gia.start("p", {"due": "2021-03-25", "until": "2021-04-01T09:00:00+03:00"})
    fill = by_bpmn_id(gia.tasks(instance=instance))["fill"]

    assert "--reason" in gia.fails("instance", "skip", instance, fill["id"])[0]  # required
    assert "3" in gia.fails("instance", "skip", instance, fill["id"], "--reason", "ок")[0]
    assert gia("instance", "skip", instance, fill["id"], *REASON, "--user", "admin")["status"] == "running"
    assert "check" in by_bpmn_id(gia.tasks(instance=instance))

    gia("instance", "back", instance, fill["id"], *REASON)
    assert "fill" in by_bpmn_id(gia.tasks(instance=instance))
    assert gia("instance", "move-due", fill["id"], "2021-04-10", *REASON)["instance_id"] == instance
    assert gia.show(instance)["data"]["due"] == "2021-04-10"

    assert gia.fails("instance", "edit", instance, *REASON, data={"due": "2021-04-20"})  # running: refused
    gia("instance", "suspend", instance)
    assert gia("instance", "edit", instance, *REASON, data={"due": "2021-04-20"})["status"] == "suspended"
    assert gia.show(instance)["data"]["due"] == "2021-04-20"
