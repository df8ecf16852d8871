"""The form a task shows and checks: the one its instance's version was deployed with (issue 14 §6), else the
catalogue's. A form edited in the designer reaches the instances of its new version only; running ones keep theirs."""
from flask import current_app

from ..bpmn.bundle_forms import form_in
from ..bpmn.spec_cache import bundle_for
from ..db import db
from ..models import Deployment, HumanTask, ProcessInstance


def task_form(task: HumanTask):
    """The forms.FormDefinition of `task`, None when it has no form (forms.FormDefinitionError when its form
    exists nowhere: a version deployed before its form file was removed from the catalogue)."""
    if not task.form_key:
        return None
    instance = db.session.get(ProcessInstance, task.instance_id)
    return version_form(instance.deployment_id, task.form_key)


def version_form(deployment_id: int, key: str):
    """Form `key` as version `deployment_id` has it."""
    deployment = db.session.get(Deployment, deployment_id)
    return form_in(bundle_for(deployment, current_app.config["MAX_BPMN_BYTES"]).forms, key)
