"""A design checked and deployed from the modeller (issue 14 §2, §4): the diagram as the designer has it, in the
bundle of files it was deployed with (a call activity may name a process of another file), checked as deploy checks
it, or deployed as the process's next version with the designer's comment; the draft then has done its work."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from .. import store
from ..db import db
from ..errors import NotFound
from ..models import DeployedProcess, DeploymentFile, DesignDraft
from .deploying import DeployResult, deploy
from .design_drafts import defines
from .versions import Validation, validate


def check_design(bpmn_id: str, xml: str) -> Validation:
    """What deploy would refuse the diagram for, with the other files of its version; nothing is stored."""
    return validate(design_bundle(bpmn_id, xml))


def deploy_design(bpmn_id: str, xml: str, actor: str, comment: str | None = None) -> DeployResult:
    """Deploy the diagram as a new version (InvalidDefinition, storing nothing, when deploy refuses it); the
    process's draft is deleted when it holds what was deployed (a newer save keeps it)."""
    result = deploy(design_bundle(bpmn_id, xml), actor=actor, comment=comment)
    with store.transaction():
        db.session.execute(delete(DesignDraft).where(DesignDraft.bpmn_id == bpmn_id, DesignDraft.xml == xml))
    return result


def design_bundle(bpmn_id: str, xml: str) -> list[tuple[str, bytes]]:
    """The files of the latest version holding `bpmn_id`, the one defining it replaced by `xml`."""
    deployment_id = db.session.scalar(select(DeployedProcess.deployment_id)
                                      .where(DeployedProcess.bpmn_id == bpmn_id)
                                      .order_by(DeployedProcess.deployment_id.desc()).limit(1))
    if deployment_id is None:
        raise NotFound(_l("No deployed process or collaboration has the id %(id)s."), id=bpmn_id)
    files = db.session.execute(select(DeploymentFile.filename, DeploymentFile.content)
                               .where(DeploymentFile.deployment_id == deployment_id)
                               .order_by(DeploymentFile.id)).all()
    replaced = False
    bundle = []
    for name, content in files:
        if not replaced and defines(content, bpmn_id):
            content, replaced = xml, True
        bundle.append((name, content.encode("utf-8")))
    return bundle if replaced else bundle + [(f"{bpmn_id}.bpmn", xml.encode("utf-8"))]

