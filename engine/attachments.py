"""Storing uploaded files outside the database rows: bytes under UPLOAD_DIR named by their SHA-256, a row with
the name, type, size and owner. The same bytes uploaded twice are stored once."""
import hashlib
import os
import tempfile
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l

from . import clock
from .db import db
from .errors import InvalidData, NotFound
from .models import Attachment

ALLOWED = {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "pdf": "application/pdf"}
_CHUNK = 1 << 16


def size_text(size: int) -> str:
    if size >= 1024 * 1024:
        return str(_l("%(n)s MB", n=round(size / (1024 * 1024), 1)))
    return str(_l("%(n)s KB", n=max(1, round(size / 1024))))


def path_of(attachment: Attachment) -> Path:
    return Path(current_app.config["UPLOAD_DIR"]) / attachment.sha256[:2] / attachment.sha256


def store(stream, filename: str, field: str, *, instance_id: int | None, task_id: str | None,
          actor: str) -> Attachment:
    """Save `stream` and add its row to the session (the caller commits). Refuses forbidden types and sizes."""
    name = os.path.basename(filename or "").strip() or "file"
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in ALLOWED:
        raise InvalidData({field: [str(_l("Files of this type are not accepted; allowed: %(types)s.",
                                          types=", ".join(sorted(ALLOWED))))]})
    limit = current_app.config["MAX_UPLOAD_BYTES"]
    root = Path(current_app.config["UPLOAD_DIR"])
    root.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    with tempfile.NamedTemporaryFile(dir=root, delete=False) as temp:
        try:
            while chunk := stream.read(_CHUNK):
                size += len(chunk)
                if size > limit:
                    raise InvalidData({field: [str(_l("The file is larger than %(size)s.",
                                                      size=size_text(limit)))]})
                digest.update(chunk)
                temp.write(chunk)
        except BaseException:
            os.unlink(temp.name)
            raise
    if size == 0:
        os.unlink(temp.name)
        raise InvalidData({field: [str(_l("The file is empty."))]})
    sha = digest.hexdigest()
    target = root / sha[:2] / sha
    target.parent.mkdir(exist_ok=True)
    os.replace(temp.name, target)
    attachment = Attachment(sha256=sha, filename=name[:255], content_type=ALLOWED[extension], size=size,
                            instance_id=instance_id, task_id=task_id, uploaded_by=actor, created_at=clock.now())
    db.session.add(attachment)
    db.session.flush()
    return attachment


def get(attachment_id: int) -> Attachment:
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or not path_of(attachment).is_file():
        raise NotFound(_l("File %(id)s not found."), id=attachment_id)
    return attachment


def for_user(attachment_id: int, user) -> Attachment:
    """The attachment, if `user` may see it; refused (and audited) otherwise."""
    from .service.denials import refuse
    attachment = get(attachment_id)
    if not visible_to(attachment, user):
        refuse(user, "download file", instance_id=attachment.instance_id)
    return attachment


def visible_to(attachment: Attachment, user) -> bool:
    """A file belongs to its instance, and to its task when it was uploaded in one: whoever may see the whole
    instance may open it, and so may whoever may see that task (a school's scan in the department's collection
    is that school's, not every school's)."""
    from .assignment import can_view_instance, can_view_task
    from .models import HumanTask, ProcessInstance
    instance = db.session.get(ProcessInstance, attachment.instance_id) if attachment.instance_id else None
    if instance is None:
        return False
    if can_view_instance(user, instance):
        return True
    task = db.session.get(HumanTask, attachment.task_id) if attachment.task_id else None
    return task is not None and task.instance_id == instance.id and can_view_task(user, task, instance)