"""The form a task shows and checks: the one its instance's version was deployed with (issue 14 §6), else the
catalogue's. A form edited in the designer reaches the instances of its new version only; running ones keep theirs."""
from ..db import db
from ..models import HumanTask, ProcessInstance
from ..store import startable_of


def task_form(task: HumanTask):
    """The forms.FormDefinition of `task`, None when it has no form (forms.FormDefinitionError when its form
    exists nowhere: a version deployed before its form file was removed from the catalogue). The instance is most
    often in the session already (the task page and a step read it with the task) and its version's parsed files
    in the spec cache: then this reads nothing from the database."""
    if not task.form_key:
        return None
    instance = db.session.get(ProcessInstance, task.instance_id)
    return startable_of(instance).form(task.form_key)
