"""The versions of a process (issue 14 §4): who deployed each one, when, with what comment, and how many
instances run on it; the XML of a version's files; and checking a bundle as deploy would, storing nothing."""
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select

from ..db import db
from ..errors import NotFound
from ..models import DeployedProcess, Deployment, DeploymentFile, ProcessInstance, User
from ..models.instance import InstanceStatus
from .deploying import checked_bundle


@dataclass
class Validation:
    problems: list[str]
    processes: list[str] = field(default_factory=list)
    collaborations: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.problems


def definitions() -> list[dict]:
    """Every deployed process and collaboration: its id, its name in the latest version, that version, and how
    many versions hold it (one grouped statement, then the latest rows)."""
    grouped = (select(DeployedProcess.bpmn_id, func.max(DeployedProcess.deployment_id).label("latest"),
                      func.count().label("versions")).group_by(DeployedProcess.bpmn_id).subquery())
    rows = db.session.execute(
        select(DeployedProcess.bpmn_id, DeployedProcess.name, DeployedProcess.kind, grouped.c.latest,
               grouped.c.versions)
        .join(grouped, (grouped.c.bpmn_id == DeployedProcess.bpmn_id)
              & (grouped.c.latest == DeployedProcess.deployment_id))
        .order_by(DeployedProcess.bpmn_id))
    return [{"bpmn_id": r.bpmn_id, "name": r.name, "kind": r.kind, "latest_version": r.latest,
             "versions": r.versions} for r in rows]


def process_versions(bpmn_id: str) -> list[dict]:
    """The versions holding `bpmn_id`, newest first: {version, deployed_at, deployed_by {login, full_name} or None,
    comment, files [names], running, instances}. `running` counts its instances of this process that are not
    completed or cancelled, `instances` all of them. NotFound when no version holds it."""
    deployments = list(db.session.scalars(
        select(Deployment).join(DeployedProcess, DeployedProcess.deployment_id == Deployment.id)
        .where(DeployedProcess.bpmn_id == bpmn_id).order_by(Deployment.id.desc())))
    if not deployments:
        raise NotFound(_l("No deployed process has the id %(id)s."), id=bpmn_id)
    ids = [d.id for d in deployments]
    counts = {row.deployment_id: (row.running or 0, row.instances) for row in db.session.execute(
        select(ProcessInstance.deployment_id, func.count().label("instances"),
               func.sum(case((ProcessInstance.status.in_(InstanceStatus.FINAL), 0), else_=1)).label("running"))
        .where(ProcessInstance.process_id == bpmn_id, ProcessInstance.deployment_id.in_(ids))
        .group_by(ProcessInstance.deployment_id))}
    files: dict[int, list[str]] = {}
    for deployment_id, filename in db.session.execute(  # the names only: the XML stays in the database
            select(DeploymentFile.deployment_id, DeploymentFile.filename)
            .where(DeploymentFile.deployment_id.in_(ids)).order_by(DeploymentFile.id)):
        files.setdefault(deployment_id, []).append(filename)
    logins = {d.created_by for d in deployments if d.created_by}
    names = (dict(db.session.execute(select(User.login, User.full_name).where(User.login.in_(logins))).all())
             if logins else {})
    return [{"version": d.id, "deployed_at": d.created_at, "comment": d.comment, "files": files.get(d.id, []),
             "deployed_by": ({"login": d.created_by, "full_name": names.get(d.created_by)}
                             if d.created_by else None),
             "running": int(counts.get(d.id, (0, 0))[0]), "instances": int(counts.get(d.id, (0, 0))[1])}
            for d in deployments]


def version_file(deployment_id: int, filename: str, bpmn_id: str | None = None) -> str:
    """The XML of file `filename` of version `deployment_id`; with `bpmn_id`, only if that version holds it.
    NotFound otherwise."""
    query = select(DeploymentFile.content).where(DeploymentFile.deployment_id == deployment_id,
                                                 DeploymentFile.filename == filename)
    if bpmn_id is not None:
        query = query.where(select(DeployedProcess.id).where(DeployedProcess.deployment_id == deployment_id,
                                                             DeployedProcess.bpmn_id == bpmn_id).exists())
    content = db.session.scalars(query.limit(1)).first()
    if content is None:
        raise NotFound(_l("Version %(version)s has no file %(name)s."), version=deployment_id, name=filename)
    return content


def validate(files: list[tuple[str, bytes]]) -> Validation:
    """The problems deploy would refuse `files` for (the same texts InvalidDefinition carries) and the ids it
    would deploy; nothing is stored, not even in the compiled-spec cache."""
    bundle, problems = checked_bundle(files)
    if problems:
        return Validation(list(problems))
    startables = bundle.startables.items()
    return Validation([], sorted(k for k, s in startables if s.kind == "process"),
                      sorted(k for k, s in startables if s.kind == "collaboration"))
