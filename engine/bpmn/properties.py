"""What a task's diagram says of it beyond BPMN: the `spiffworkflow:properties` of a task (form, role, unit, due,
title, columns, checks...) and the role it is offered to (its `role` property, else its lane). Read by the
projection (what a task looks like in the database), by access (who is offered it) and by the deploy checks."""
from .. import roles


def task_properties(task_spec) -> dict:
    return (getattr(task_spec, "extensions", None) or {}).get("properties", {}) or {}


def role_of(task_spec) -> str | None:
    explicit = task_properties(task_spec).get("role")
    return roles.canonical(explicit or task_spec.lane)
