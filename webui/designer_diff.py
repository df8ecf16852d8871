"""Two versions of a process side by side (issue 14 §4): `/designer/<bpmn_id>/diff?from=A&to=B`, where A and B are
version numbers or `draft` (the designer's saved draft). By default the version before the latest against the
latest; from the modeller, `to=draft` against the latest deployed. The page gets both files as deployed (the draft
as saved); static/vendor/diff.js lays out one without a drawing, draws them, marks what changed and lists it (bpmn-js-differ and our own
comparison of the extension properties, which the differ does not name).

Designers and administrators only (engine.access.rules.may_design), as the modeller: everyone else gets 403,
audited. An unknown version answers 404.
"""
from dataclasses import dataclass

from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import gettext as _

import engine
from engine.access import may_design
from engine.bpmn.problems import TYPE_NAMES, capitalized
from .access import restrict
from .filters import ru_datetime

bp = Blueprint("designer_diff", __name__, url_prefix="/designer")

restrict(bp, may_design, "designer")

DRAFT = "draft"


@dataclass
class Side:
    key: str  # a version number, or "draft"
    title: str
    xml: str | None  # None: there is no draft
    name: str | None = None  # the process's name in this version
    forms: dict | None = None  # {key: JSON} of the forms deployed with it (engine.bpmn.bundle_forms)


@bp.route("/<bpmn_id>/diff")
def diff(bpmn_id):
    versions = engine.version_numbers(bpmn_id)
    if not versions:
        abort(404)
    to_key = request.args.get("to") or str(versions[0])
    from_key = request.args.get("from") or _before(to_key, versions)
    old, new = _side(bpmn_id, from_key, versions), _side(bpmn_id, to_key, versions)
    form_changes = engine.form_changes(old.forms or {}, new.forms or {})
    identical = old.xml is not None and new.xml is not None and old.xml == new.xml and not form_changes
    data = {"old": {"xml": old.xml}, "new": {"xml": new.xml}, "words": _words()}
    name = new.name or old.name
    return render_template("designer_diff.html", bpmn_id=bpmn_id, name=name, old=old, new=new,
                           identical=identical, versions=versions, data=data, form_changes=form_changes,
                           form_change_words=_words()["changes"],
                           missing_draft=old.xml is None or new.xml is None,
                           edit_url=url_for("designer.edit", bpmn_id=bpmn_id),
                           versions_url=url_for("monitor.activity", bpmn_id=bpmn_id) + "#versions")


def _before(key: str, versions: list[int]) -> str:
    """The side to compare `key` with when the address names none: the draft with the latest version, a version
    with the one before it (the oldest with itself: nothing to show but that)."""
    if key == DRAFT or not key.isdigit() or int(key) not in versions:
        return str(versions[0])
    older = [v for v in versions if v < int(key)]
    return str(older[0] if older else int(key))


def _side(bpmn_id: str, key: str, versions: list[int]) -> Side:
    if key == DRAFT:
        design = engine.open_design(bpmn_id)
        drafted = engine.drafted_forms(bpmn_id, versions[0])
        if not design.revision:  # no draft of the diagram: the modeller shows the latest version
            if drafted == engine.version_forms(bpmn_id, versions[0]):
                return Side(DRAFT, _("Draft"), None)
            return Side(DRAFT, _("Draft"), design.xml, design.name, drafted)  # drafts of its forms only
        return Side(DRAFT, _("Draft of %(when)s, saved by %(who)s", when=ru_datetime(design.saved_at),
                             who=design.saved_by_name), design.xml, design.name,
                    drafted)
    if not key.isdigit() or int(key) not in versions:
        abort(404)
    files = engine.version_files(bpmn_id, int(key))
    return Side(key, _("Version %(version)s", version=key), files.xml, files.process_name,
                engine.version_forms(bpmn_id, int(key)))


def _words() -> dict:
    """What diff.js shows: element types, property names, kinds of change (the table and the marks)."""
    return {
        "failed": _("The diagrams could not be compared:"),
        "property": _("Property"), "yes": _("yes"), "no": _("no"),
        "changes": {"added": _("added"), "removed": _("removed"), "changed": _("changed"),
                    "layout": _("moved on the diagram")},
        "viewer": {"Open {element}": _("Open %(element)s", element="{element}")},
        # bpmn-js's type names (UserTask) in the words deploy's problems use (engine/bpmn/problems.py)
        "types": {name[:1].upper() + name[1:]: capitalized(words) for name, words in TYPE_NAMES.items()},
        "properties": {
            "$type": _("Element type"), "name": _("Name"), "documentation": _("Description"),
            "spiffworkflow:form": _("Form"), "spiffworkflow:role": _("Role"),
            "spiffworkflow:role_expression": _("Role expression"), "spiffworkflow:unit": _("Unit expression"),
            "spiffworkflow:due": _("Due date expression"), "spiffworkflow:title": _("Task title"),
            "spiffworkflow:columns": _("Inbox columns"), "spiffworkflow:checks": _("Checks"),
            "spiffworkflow:sample": _("Sample data"),
            "spiffworkflow:instructionsForEndUser": _("Instructions for the user"),
            "spiffworkflow:preScript": _("Script before the task"),
            "spiffworkflow:postScript": _("Script after the task"),
            "spiffworkflow:messagePayload": _("Message payload"),
            "spiffworkflow:messageVariable": _("Message variable"),
            "script": _("Script"), "scriptFormat": _("Script language"),
            "conditionExpression": _("Condition"), "sourceRef": _("Flow from"), "targetRef": _("Flow to"),
            "default": _("Default flow"), "attachedToRef": _("Attached to"), "cancelActivity": _("Interrupting"),
            "isInterrupting": _("Interrupting"), "calledElement": _("Called process"),
            "timerEventDefinition.timeDate": _("Timer: date"),
            "timerEventDefinition.timeDuration": _("Timer: duration"),
            "timerEventDefinition.timeCycle": _("Timer: cycle"),
            "messageEventDefinition.messageRef": _("Message"), "signalEventDefinition.signalRef": _("Signal"),
            "errorEventDefinition.errorRef": _("Error"), "eventDefinition": _("Kind of event"),
            "messageRef": _("Message"), "processRef": _("Process"), "isExecutable": _("Executable"),
            "multiInstanceLoopCharacteristics.isSequential": _("Instances one after another"),
            "multiInstanceLoopCharacteristics.loopDataInputRef": _("Collection of the instances"),
            "multiInstanceLoopCharacteristics.loopDataOutputRef": _("Collection of the results"),
            "multiInstanceLoopCharacteristics.inputDataItem": _("Item of each instance"),
            "multiInstanceLoopCharacteristics.outputDataItem": _("Result of each instance"),
            "multiInstanceLoopCharacteristics.loopCardinality": _("Number of instances"),
            "multiInstanceLoopCharacteristics.completionCondition": _("Completion condition"),
        },
    }
