"""A design checked and deployed from the modeller (issue 14 §2, §4): the diagram as the designer has it, in the
bundle of files it was deployed with (a call activity may name a process of another file), checked as deploy checks
it, or deployed as the process's next version with the designer's comment; the draft then has done its work."""
from sqlalchemy import delete, select

from .. import store
from ..db import db
from ..errors import NotFound
from ..models import DesignDraft
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
    result = deploy(design_bundle(bpmn_id, xml), actor=actor, comment=comment)
    superseded = DesignDraft.xml == xml
    if revision is not None:
        superseded = superseded | (DesignDraft.revision <= revision)
    with store.transaction():
        db.session.execute(delete(DesignDraft).where(DesignDraft.bpmn_id == bpmn_id, superseded))
    return result


def design_bundle(bpmn_id: str, xml: str) -> list[tuple[str, bytes]]:
    """The files of the latest version holding `bpmn_id`, the one defining it replaced by `xml`; a new process
    (drafted, never deployed: engine.service.design_patterns) is its file alone."""
    try:
        latest = version_files(bpmn_id)
    except NotFound:
        if db.session.scalar(select(DesignDraft.id).where(DesignDraft.bpmn_id == bpmn_id)) is None:
            raise
        return [(f"{bpmn_id}.bpmn", xml.encode("utf-8"))]
    bundle = [(name, (xml if index == latest.defining else content).encode("utf-8"))
              for index, (name, content) in enumerate(latest.files)]
    return bundle if latest.defining is not None else bundle + [(f"{bpmn_id}.bpmn", xml.encode("utf-8"))]
