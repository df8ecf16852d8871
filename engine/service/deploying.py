"""deploy: store a set of BPMN files as one new version, after they parse, validate and compile."""
import hashlib
from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from sqlalchemy import select

import forms
from .. import audit, clock, roles
from ..bpmn.checks import Known
from ..bpmn.parsing import parse_bundle
from ..bpmn.problems import Problem
from ..projection import kind_of
from ..bpmn.spec_cache import bundle_for, remember
from ..db import db
from ..errors import InvalidData, InvalidDefinition
from ..models import DeployedProcess, Deployment, DeploymentFile, Membership
from ..store import transaction


@dataclass
class DeployResult:
    version: int
    process_ids: list[str]
    collaborations: list[str]
    reused: bool = False


def bundle_hash(files: list[tuple[str, bytes]]) -> str:
    digest = hashlib.sha256()
    for name, content in sorted(files):
        digest.update(name.encode() + b"\0" + hashlib.sha256(content).digest())
    return digest.hexdigest()


MAX_COMMENT = 2000  # characters of a version's comment: a paragraph, not a changelog file


def checked_bundle(files: list[tuple[str, bytes]]) -> tuple[object, list[Problem]]:
    """Parse and check `files` as deploy does: (the bundle, the problems found; empty when it may be deployed).
    engine.service.versions.validate answers with the same problems without storing anything."""
    if not files:
        return None, [Problem(_l("no files given"))]
    known = Known(frozenset(forms.registry_keys()), _is_role, _former_form)
    return parse_bundle(files, current_app.config["MAX_BPMN_BYTES"], known)


def _former_form(key: str, bpmn_ids: list[str]):
    """Form `key` as the processes `bpmn_ids` use it until now: the latest version of one of them that was deployed
    with that form, else the catalogue's; None for a form new to them all."""
    for bpmn_id in bpmn_ids:
        deployment_id = latest_deployment_id(bpmn_id)
        if deployment_id is not None:
            deployment = db.session.get(Deployment, deployment_id)
            found = bundle_for(deployment, current_app.config["MAX_BPMN_BYTES"]).forms.get(key)
            if found is not None:
                return found
    try:
        return forms.load(key)
    except forms.FormDefinitionError:
        return None


def _is_role(name: str) -> bool:
    """A role of the catalogue (by code or title), or one someone holds: the directory also keeps roles beyond the
    catalogue (`user create --role`, a third-party diagram's lane), and a role held is no typo."""
    code = roles.canonical(name)
    if code is None:
        return False
    return code in roles.catalogue() or db.session.scalar(
        select(Membership.id).where(Membership.role == code).limit(1)) is not None


def deploy(files: list[tuple[str, bytes]], actor: str | None = None, comment: str | None = None) -> DeployResult:
    """Deploy `files` (name, bytes) together as one version, with the deployer's `comment` (what changed).
    Identical content deployed again returns the existing version instead of a copy (its comment is kept).
    Raises InvalidDefinition listing every problem; nothing is stored then."""
    comment = (comment or "").strip() or None
    if comment is not None and len(comment) > MAX_COMMENT:
        raise InvalidData({"comment": [_l("The comment is longer than %(count)s characters.", count=MAX_COMMENT)]})
    bundle, errors = checked_bundle(files)
    if errors:
        raise InvalidDefinition(errors)
    sha = bundle_hash(files)
    remember(sha, bundle)
    processes = sorted(k for k, s in bundle.startables.items() if s.kind == "process")
    collaborations = sorted(k for k, s in bundle.startables.items() if s.kind == "collaboration")
    with transaction() as session:
        existing = session.scalars(select(Deployment).where(Deployment.sha256 == sha)
                                   .order_by(Deployment.id.desc())).first()
        if existing is not None and _is_latest_for_all(existing, bundle):
            return DeployResult(existing.id, processes, collaborations, reused=True)
        deployment = Deployment(sha256=sha, created_at=clock.now(), created_by=actor, comment=comment)
        session.add(deployment)
        for name, content in files:
            session.add(DeploymentFile(deployment=deployment, filename=name, content=content.decode("utf-8")))
        for startable in bundle.startables.values():
            session.add(DeployedProcess(deployment=deployment, bpmn_id=startable.bpmn_id,
                                        name=startable.name[:500] if startable.name else None,
                                        kind=startable.kind, start_events=start_events(startable.spec)))
        session.flush()
        audit.record("deploy", actor, summary={"version": deployment.id, "files": [n for n, _ in files],
                                               "processes": processes, "collaborations": collaborations,
                                               "comment": comment})
        version = deployment.id
    return DeployResult(version, processes, collaborations)


def start_events(spec) -> list[list[str]]:
    """The message and signal names of the start events of a process spec."""
    found = []
    for task_spec in spec.task_specs.values():
        if isinstance(task_spec, StartEvent):
            kind = kind_of(getattr(task_spec, "event_definition", None))
            if kind:
                found.append([kind, task_spec.event_definition.name])
    return found


def _is_latest_for_all(deployment: Deployment, bundle) -> bool:
    """Reuse an identical deployment only if no later one replaced any of its processes."""
    for bpmn_id in bundle.startables:
        latest = latest_deployment_id(bpmn_id)
        if latest != deployment.id:
            return False
    return True


def latest_deployment_id(bpmn_id: str) -> int | None:
    return db.session.scalar(select(DeployedProcess.deployment_id).where(DeployedProcess.bpmn_id == bpmn_id)
                             .order_by(DeployedProcess.deployment_id.desc()).limit(1))
