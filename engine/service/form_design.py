"""The designer's form editor (issue 14 §6): a form as a process uses it, edited as a draft of that process and
deployed with its next version (engine.bpmn.bundle_forms), so running instances keep the form their version has.

A draft is checked as a form (forms.parse, with the reason in Russian) when saved; what it would break is said at
once and refused at deploy: a removed field that a condition, a script or a later task of the process reads.
Revisions as for the diagram's drafts (engine.service.design_drafts): a save from an older one is refused.
"""
import json
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

import forms
from .. import audit, clock, store
from ..bpmn.bundle_forms import form_file, form_file_parts
from ..db import db
from ..directory.naming import people_names
from ..errors import ConflictError, InvalidData, NotFound
from ..models import DesignFormDraft
from .design_deploy import design_bundle, form_file_content
from .design_drafts import open_design, saved_meanwhile
from .versions import validate, version_files

MAX_FORM_BYTES = 256 * 1024  # a form's JSON: hundreds of fields fit


@dataclass
class FormDesign:
    bpmn_id: str
    key: str
    definition: dict  # the form's JSON, as in forms/definitions/<key>.json
    revision: int  # 0: no draft of this form yet
    source: str  # "draft", "version" (deployed with the process), "catalogue" (forms/definitions) or "new"
    saved_by_name: str | None = None
    saved_at: datetime | None = None
    problems: list = field(default_factory=list)  # Problems deploy would refuse this change for
    process_name: str | None = None  # the process's name, as the modeller shows it


def open_form_design(bpmn_id: str, key: str) -> FormDesign:
    """Form `key` as process `bpmn_id` would deploy it: its draft, else its latest version's, else the catalogue's;
    an empty new form for a key none has. NotFound for a process that is neither deployed nor drafted."""
    design = open_design(bpmn_id)
    _check_key(key)
    draft = _draft(bpmn_id, key)
    if draft is not None:
        opened = FormDesign(bpmn_id, key, draft.definition, draft.revision, "draft",
                            people_names([draft.saved_by]).get(draft.saved_by, draft.saved_by), draft.saved_at,
                            _problems(bpmn_id, design.xml, key, draft.definition))
    elif (deployed := _deployed(bpmn_id, key)) is not None:
        opened = FormDesign(bpmn_id, key, deployed, 0, "version")
    else:
        try:
            opened = FormDesign(bpmn_id, key, forms.load_raw(key), 0, "catalogue")
        except forms.FormDefinitionError:
            opened = FormDesign(bpmn_id, key, {"key": key, "title": "", "fields": []}, 0, "new")
    opened.process_name = design.name
    return opened


def preview_form(definition: dict) -> forms.FormDefinition:
    """The form `definition` describes, as the task page would build it; InvalidData saying what is wrong."""
    if not isinstance(definition, dict):
        _invalid(_l("A form is a JSON object with a list of fields."))
    if len(json.dumps(definition, ensure_ascii=False).encode("utf-8")) > MAX_FORM_BYTES:
        _invalid(_l("The form is larger than %(limit)s KB.", limit=MAX_FORM_BYTES // 1024))
    try:
        return forms.parse(definition, form_file(definition.get("key") or "form"))
    except forms.FormDefinitionError as exc:
        _invalid(exc.args[0])
    except RecursionError:
        _invalid(_l("Groups and rows are nested too deeply."))


def save_form_design(bpmn_id: str, key: str, definition: dict, actor: str, revision: int) -> FormDesign:
    """Keep `definition` as the draft of form `key` for `bpmn_id` if its stored draft is still at `revision` (0:
    none yet). Refused, changing nothing, when it is not a valid form or someone saved meanwhile."""
    design = open_design(bpmn_id)
    _check_key(key)
    definition = {**definition, "key": key} if isinstance(definition, dict) else definition
    preview_form(definition)
    try:
        with store.transaction():
            draft = _draft(bpmn_id, key, lock=True)
            stored = draft.revision if draft is not None else 0
            if stored != revision:
                _conflict(draft)
            now = clock.now()
            if draft is None:
                draft = DesignFormDraft(bpmn_id=bpmn_id, form_key=key, definition=definition, saved_by=actor,
                                        saved_at=now, revision=1)
                db.session.add(draft)
            else:
                draft.definition, draft.saved_by, draft.saved_at = definition, actor, now
                draft.revision = stored + 1
            audit.record("design_form_draft", actor, summary={"bpmn_id": bpmn_id, "form": key,
                                                               "revision": draft.revision})
            saved_revision = draft.revision
    except IntegrityError:  # two first saves at once: the other one created the row
        db.session.rollback()
        _conflict(_draft(bpmn_id, key))
    return FormDesign(bpmn_id, key, definition, saved_revision, "draft",
                      people_names([actor]).get(actor, actor), now, _problems(bpmn_id, design.xml, key, definition))


def discard_form_design(bpmn_id: str, key: str, actor: str) -> None:
    """Drop the draft of form `key` for `bpmn_id`: the process goes on with the form it has."""
    open_design(bpmn_id)
    with store.transaction():
        draft = _draft(bpmn_id, key, lock=True)
        if draft is not None:
            db.session.delete(draft)
            audit.record("design_form_discard", actor, summary={"bpmn_id": bpmn_id, "form": key})


def _problems(bpmn_id: str, xml: str, key: str, definition: dict) -> list:
    """What deploy would refuse that this form change brings: the design checked with the form as drafted, less
    what it is refused for with the form as the process has it now (the diagram's own problems are the modeller's)."""
    name = form_file(key)
    files = [(n, c) for n, c in design_bundle(bpmn_id, xml) if n != name]
    found = validate(files + [(name, form_file_content(definition))]).problems
    if not found:  # the usual answer, from one check
        return []
    deployed = _deployed(bpmn_id, key)
    before = {str(p) for p in validate(files + ([(name, form_file_content(deployed))] if deployed else [])).problems}
    return [p for p in found if str(p) not in before]


def _deployed(bpmn_id: str, key: str) -> dict | None:
    """Form `key`'s JSON in the latest version of `bpmn_id`, if it was deployed with one."""
    try:
        files = version_files(bpmn_id).files
    except NotFound:
        return None
    content = next((c for n, c in files if form_file_parts(n) == key), None)
    return json.loads(content) if content is not None else None


def _draft(bpmn_id: str, key: str, lock: bool = False) -> DesignFormDraft | None:
    query = select(DesignFormDraft).where(DesignFormDraft.bpmn_id == bpmn_id, DesignFormDraft.form_key == key)
    if lock:
        query = query.with_for_update()
    return db.session.scalars(query).first()


def _check_key(key: str) -> None:
    if not forms.valid_key(key):
        raise InvalidData({"key": [str(_l("A form's key is Latin letters, digits and _, starting with a letter."))]})


def _invalid(message) -> None:
    raise InvalidData({"definition": [str(message)]})


def _conflict(draft: DesignFormDraft | None):
    if draft is None:
        raise ConflictError(_l("The form's draft was deleted meanwhile. Reload the page."))
    raise ConflictError(_l("%(who)s saved this form meanwhile, at %(when)s. Your changes were not saved: copy "
                           "them from the JSON, then reload the page to see the newer draft."),
                        **saved_meanwhile(draft))
