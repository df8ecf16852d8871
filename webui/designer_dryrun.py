"""The dry run from the modeller (issue 14 §3): the diagram posted as JSON {xml} run several times in memory on a
virtual clock (engine.dry_run), nothing stored; the report as JSON for the page to colour the diagram and list
what it found. On the designer blueprint, so designers and administrators only (403 for everyone else, audited)."""
from flask import jsonify
from flask_babel import gettext as _

import engine
from .designer import bp, posted_json


def issue_kinds() -> dict:
    """The report's kinds of finding, as the page heads them."""
    return {"script_error": _("Script errors"), "not_ending": _("Runs that do not end"),
            "missing_form": _("Forms that do not exist"), "role_unheld": _("Roles nobody holds"),
            "timer_never_fires": _("Timers that never fire"), "unreached": _("Elements never reached")}


@bp.route("/<bpmn_id>/dry-run", methods=["POST"])
def dry_run(bpmn_id):
    """{runs, reached {id: runs}, unreached, issues [{kind, element, message}], start_data, message, kinds};
    422 with the problems when deploy would refuse the diagram (it is not run then)."""
    xml = posted_json().get("xml")
    if not isinstance(xml, str) or not xml.strip():
        return jsonify(problems=[], issues=[], message=_("The diagram is empty.")), 422
    report = engine.dry_run(bpmn_id, xml)
    answer = report.as_dict()
    answer["kinds"] = issue_kinds()
    if report.problems:
        answer["message"] = _("The dry run did not start: the diagram has errors that keep it from being "
                              "deployed (%(count)s).", count=len(report.problems))
        return jsonify(answer), 422
    ended = sum(1 for run in report.runs if run.ended)
    answer["assumed"] = _assumed(report)
    answer["message"] = _("Dry run: %(runs)s runs, %(ended)s of them ended; elements reached: %(reached)s of "
                          "%(elements)s; findings: %(issues)s.", runs=len(report.runs), ended=ended,
                          reached=report.elements - len(report.unreached), elements=report.elements,
                          issues=len(report.issues))
    return jsonify(answer)


def _assumed(report) -> str:
    """What the runs started with (engine/service/dry_run_start.py), for the designer to judge the findings by."""
    start = {"plan": _("The runs started with the data of the plan's item for this process."),
             "items": _("The runs started with the data the plan gives this pattern, a window of two weeks from "
                        "today and the directory's first unit of its scope."),
             "none": _("The process is not in the plan: the runs started with the directory's first school as "
                       "their unit and a sample of the start form, if there is one.")}[report.start_source]
    return start + " " + _("User tasks are completed with sample data from their forms; messages from other "
                           "processes carry what their sender names, with sample values.")
