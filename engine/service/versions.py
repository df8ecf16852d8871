"""The versions of a process (issue 14 §4): who deployed each one, when, with what comment, and how many
instances run on it; the XML of a version's files, and which of them defines the process; and checking a bundle
as deploy would, storing nothing."""
import re
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select

from ..bpmn.problems import Problem
from ..db import db
from ..errors import NotFound
from ..models import DeployedProcess, Deployment, DeploymentFile, ProcessInstance, User
from ..models.instance import InstanceStatus
from .deploying import checked_bundle


@dataclass
class Validation:
    problems: list[Problem]  # each with its text (str) and its place (as_dict) for the modeller's markers
    processes: list[str] = field(default_factory=list)
    collaborations: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.problems

    def texts(self) -> list[str]:
        """The problems as InvalidDefinition.problems() gives them (the CLI's and the API's texts)."""
        return [str(p) for p in self.problems]


@dataclass
class VersionFiles:
    """A version holding a process: its files in deployment order and the one among them that defines it."""
    bpmn_id: str
    version: int
    process_name: str | None  # the process's name in this version
    files: list[tuple[str, str]]  # (filename, XML)
    defining: int | None  # the index in `files` of the file defining the process; None if no file's text does

    @property
    def xml(self) -> str:
        """The XML of the defining file (NotFound when there is none)."""
        if self.defining is None:
            raise NotFound(_l("The diagram of %(id)s is not among its deployment's files."), id=self.bpmn_id)
        return self.files[self.defining][1]


def defines(content: str, bpmn_id: str) -> bool:
    """Whether the BPMN text defines a process or collaboration with the id `bpmn_id`."""
    pattern = r"<(?:\w+:)?(?:process|collaboration)\b[^>]*\bid=[\"']" + re.escape(bpmn_id) + r"[\"']"
    return re.search(pattern, content) is not None


def version_files(bpmn_id: str, version: int | None = None) -> VersionFiles:
    """The files of version `version` of `bpmn_id` (by default the latest version holding it), and which of them
    defines it: what the modeller opens, the bundle a design is checked and deployed in, a side of a diff.
    NotFound when no version holds `bpmn_id`, or not that one."""
    query = select(DeployedProcess).where(DeployedProcess.bpmn_id == bpmn_id)
    if version is not None:
        query = query.where(DeployedProcess.deployment_id == version)
    process = db.session.scalars(query.order_by(DeployedProcess.deployment_id.desc()).limit(1)).first()
    if process is None and version is None:
        raise NotFound(_l("No deployed process or collaboration has the id %(id)s."), id=bpmn_id)
    if process is None:
        raise NotFound(_l("Version %(version)s does not hold the process %(id)s."), version=version, id=bpmn_id)
    files = [(name, content) for name, content in db.session.execute(
        select(DeploymentFile.filename, DeploymentFile.content)
        .where(DeploymentFile.deployment_id == process.deployment_id).order_by(DeploymentFile.id))]
    defining = next((i for i, (_name, content) in enumerate(files) if defines(content, bpmn_id)), None)
    return VersionFiles(bpmn_id, process.deployment_id, process.name, files, defining)


def version_numbers(bpmn_id: str) -> list[int]:
    """The versions holding `bpmn_id`, newest first (empty when none does)."""
    return list(db.session.scalars(select(DeployedProcess.deployment_id).where(DeployedProcess.bpmn_id == bpmn_id)
                                   .order_by(DeployedProcess.deployment_id.desc())))


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
    comment, files [names], file (the name of the one defining the process, or None), other_files [the rest],
    running, instances}. `running` counts its instances of this process that are not completed or cancelled,
    `instances` all of them. NotFound when no version holds it."""
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
    own: dict[int, str] = {}
    # The names, and the XML only of the files that mention the id (a plan bundle holds 19 files, one of which
    # defines the process): `defines` then tells which one does.
    mentioning = case((DeploymentFile.content.contains(bpmn_id, autoescape=True), DeploymentFile.content))
    for deployment_id, filename, content in db.session.execute(
            select(DeploymentFile.deployment_id, DeploymentFile.filename, mentioning)
            .where(DeploymentFile.deployment_id.in_(ids)).order_by(DeploymentFile.id)):
        files.setdefault(deployment_id, []).append(filename)
        if content is not None and deployment_id not in own and defines(content, bpmn_id):
            own[deployment_id] = filename
    logins = {d.created_by for d in deployments if d.created_by}
    names = (dict(db.session.execute(select(User.login, User.full_name).where(User.login.in_(logins))).all())
             if logins else {})
    return [{"version": d.id, "deployed_at": d.created_at, "comment": d.comment, "files": files.get(d.id, []),
             "file": own.get(d.id), "other_files": [name for name in files.get(d.id, []) if name != own.get(d.id)],
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
    """The problems deploy would refuse `files` for (the same ones InvalidDefinition carries) and the ids it
    would deploy; nothing is stored, not even in the compiled-spec cache."""
    bundle, problems = checked_bundle(files)
    if problems:
        return Validation(list(problems))
    startables = bundle.startables.items()
    return Validation([], sorted(k for k, s in startables if s.kind == "process"),
                      sorted(k for k, s in startables if s.kind == "collaboration"))
