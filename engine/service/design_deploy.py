"""A design checked and deployed from the modeller (issue 14 §2, §4): the diagram as the designer has it, in the
bundle of files it was deployed with (a call activity may name a process of another file), checked as deploy checks
it, or deployed as the process's next version with the designer's comment; the draft then has done its work."""
import json

from sqlalchemy import delete, select

from .. import store
from ..bpmn.bundle_forms import form_file
from ..db import db
from ..errors import NotFound
from ..models import DesignDraft, DesignFormDraft
from .deploying import DeployResult, deploy
from .versions import Validation, validate, version_files


def check_design(bpmn_id: str, xml: str) -> Validation:
    """What deploy would refuse the diagram for, with the other files of its version; nothing is stored."""
    return validate(design_bundle(bpmn_id, xml))


def deploy_design(bpmn_id: str, xml: str, actor: str, comment: str | None = None,
                  revision: int | None = None) -> DeployResult:
    """Deploy the diagram as a new version (InvalidDefinition, storing nothing, when deploy refuses it). The
    process's draft is deleted when it holds what was deployed, or when the page deployed from it (`revision`: the
    draft's revision the page had, its unsaved changes on top); a draft someone saved since is kept."""
    deployed_forms = [(draft.id, draft.revision) for draft in form_drafts(bpmn_id)]
    result = deploy(design_bundle(bpmn_id, xml), actor=actor, comment=comment)
    superseded = DesignDraft.xml == xml
    if revision is not None:
        superseded = superseded | (DesignDraft.revision <= revision)
    with store.transaction():
        db.session.execute(delete(DesignDraft).where(DesignDraft.bpmn_id == bpmn_id, superseded))
        for draft_id, form_revision in deployed_forms:  # a form saved again meanwhile keeps its newer draft
            db.session.execute(delete(DesignFormDraft).where(DesignFormDraft.id == draft_id,
                                                             DesignFormDraft.revision == form_revision))
    return result


def design_bundle(bpmn_id: str, xml: str) -> list[tuple[str, bytes]]:
    """The files of the latest version holding `bpmn_id`, the one defining it replaced by `xml` and its forms by
    their drafts (engine.service.form_design); a new process (drafted, never deployed:
    engine.service.design_patterns) is its file alone, with its forms' drafts."""
    try:
        latest = version_files(bpmn_id)
    except NotFound:
        if db.session.scalar(select(DesignDraft.id).where(DesignDraft.bpmn_id == bpmn_id)) is None:
            raise
        return _with_form_drafts([(f"{bpmn_id}.bpmn", xml.encode("utf-8"))], bpmn_id)
    bundle = [(name, (xml if index == latest.defining else content).encode("utf-8"))
              for index, (name, content) in enumerate(latest.files)]
    if latest.defining is None:
        bundle.append((f"{bpmn_id}.bpmn", xml.encode("utf-8")))
    return _with_form_drafts(bundle, bpmn_id)


def _with_form_drafts(bundle: list[tuple[str, bytes]], bpmn_id: str) -> list[tuple[str, bytes]]:
    drafted = {form_file(draft.form_key): form_file_content(draft.definition) for draft in form_drafts(bpmn_id)}
    kept = [(name, content) for name, content in bundle if name not in drafted]
    return kept + sorted(drafted.items())


def form_drafts(bpmn_id: str) -> list[DesignFormDraft]:
    """The form drafts of `bpmn_id`, by key: they go into its next version."""
    return list(db.session.scalars(select(DesignFormDraft).where(DesignFormDraft.bpmn_id == bpmn_id)
                                   .order_by(DesignFormDraft.form_key)))


def form_file_content(definition: dict) -> bytes:
    """A form's JSON as a version stores it."""
    return json.dumps(definition, ensure_ascii=False, indent=2).encode("utf-8")
