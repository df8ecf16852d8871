"""Helpers for scenario A1 (plan item 3.32): start a PPE check and fill its forms."""
import engine
from tests.conftest import PROCESSES, deploy_files

OK = {"status": "ok"}


def start_check(ppe="ppe-17", due="2021-03-19", fix_days=7, recheck_days=3):
    deploy_files(PROCESSES / "ppe_tech_check.bpmn")
    return engine.start("ppe_tech_check", {"check_due": due, "fix_days": fix_days, "recheck_days": recheck_days},
                        unit=ppe, actor="iao").instance_id


def checklist(faulty=(), checked_on="2021-03-15", rooms=2, photo=None):
    data = {key: dict(OK) for key in ("scanning", "auth_main", "auth_backup", "video", "metal_detector", "jammer",
                                       "generator")}
    for key in faulty:
        data[key] = {"status": "faulty", "comment": f"{key}: не работает"}
        if photo:
            data[key]["photo"] = {"attachment_id": photo}
    data["printing"] = [{"room": f"Аудитория {n}", "status": "ok"} for n in range(1, rooms + 1)]
    data["checked_on"] = checked_on
    return data


def ready(instance_id, bpmn_id=None):
    tasks = engine.list_tasks(instance_id=instance_id)
    return [t for t in tasks if bpmn_id is None or t.bpmn_id == bpmn_id]


def only(instance_id, bpmn_id):
    found = ready(instance_id, bpmn_id)
    assert len(found) == 1, [(t.bpmn_id, t.state) for t in ready(instance_id)]
    return found[0]
