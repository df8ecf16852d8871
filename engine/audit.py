"""Writing the audit trail, in the same transaction as the change it records."""
from .clock import now
from .db import db
from .models import AuditEvent

SYSTEM = "system"
_MAX_TEXT = 300
_MAX_ITEMS = 50


def record(action: str, actor: str | None, *, instance_id=None, task=None, summary=None, message=None) -> None:
    db.session.add(AuditEvent(
        at=now(), actor=actor or SYSTEM, action=action, instance_id=instance_id,
        task_id=getattr(task, "id", None), bpmn_id=getattr(task, "bpmn_id", None),
        task_name=getattr(task, "name", None), summary=summarize(summary) if summary is not None else None,
        message=str(message)[:4000] if message is not None else None))


def summarize(value, depth=0):
    """Submitted data, trimmed for the trail: long texts cut, long lists shortened, files by name."""
    if depth > 6:
        return "…"
    if isinstance(value, dict):
        if "attachment_id" in value:
            return {"attachment_id": value["attachment_id"], "filename": value.get("filename")}
        return {str(k): summarize(v, depth + 1) for k, v in list(value.items())[:_MAX_ITEMS]}
    if isinstance(value, list):
        items = [summarize(v, depth + 1) for v in value[:_MAX_ITEMS]]
        return items + ["…"] if len(value) > _MAX_ITEMS else items
    if isinstance(value, str) and len(value) > _MAX_TEXT:
        return value[:_MAX_TEXT] + "…"
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)[:_MAX_TEXT]
