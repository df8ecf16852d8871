"""Storing uploaded files outside the database rows: bytes under UPLOAD_DIR named by their SHA-256, a row with
the name, type, size and owner. The same bytes uploaded twice are stored once."""
import hashlib
import os
import tempfile
import unicodedata
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l

from . import clock
from .access.denials import conceal
from .access.rules import can_view_instance, can_view_task
from .db import db
from .errors import InvalidData, NotFound
from .models import Attachment, HumanTask, ProcessInstance
from .store import transaction

# The extensions accepted; what is stored and served is typed by the bytes (content_type_of), not by these.
ALLOWED = {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "pdf": "application/pdf"}
_CHUNK = 1 << 16
# What a file is, by its first bytes rather than its name: the types a browser may show inline (an image or a
# real PDF). Anything else is UNKNOWN and is only ever downloaded (webui serves it as an attachment).
SIGNATURES = ((b"%PDF-", "application/pdf"), (b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"),
              (b"GIF87a", "image/gif"), (b"GIF89a", "image/gif"))
UNKNOWN = "application/octet-stream"
_HEAD = 16  # bytes enough to tell every signature
MAX_NAME = 255  # attachment.filename's length


def size_text(size: int) -> str:
    if size >= 1024 * 1024:
        return str(_l("%(n)s MB", n=round(size / (1024 * 1024), 1)))
    return str(_l("%(n)s KB", n=max(1, round(size / 1024))))


def path_of(attachment: Attachment) -> Path:
    return Path(current_app.config["UPLOAD_DIR"]) / attachment.sha256[:2] / attachment.sha256


def clean_filename(filename: str | None) -> str:
    """The name a person gave the file, fit to store and to send back in a download header: without folders (a
    browser may send a whole Windows path), without control and format characters (NUL cannot be kept in
    PostgreSQL; a line break would split a header; a right-to-left override disguises the extension), and at most
    255 characters with its extension kept. Letters of any script stay, unlike werkzeug's secure_filename."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf", "Cs")).strip()
    if len(name) > MAX_NAME:
        stem, dot, extension = name.rpartition(".")
        tail = f".{extension}" if dot and len(extension) < 16 else ""
        name = (stem if tail else name)[:MAX_NAME - len(tail)] + tail
    return name if name.strip(".") else "file"


def content_type_of(head: bytes) -> str:
    """The type the first bytes of a file show (SIGNATURES, and WebP's RIFF....WEBP), else UNKNOWN."""
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return next((kind for magic, kind in SIGNATURES if head.startswith(magic)), UNKNOWN)


def served_type(attachment: Attachment) -> str:
    """The type to serve a stored file as, read from its bytes: rows written before files were typed by content
    hold the type their extension gave."""
    with path_of(attachment).open("rb") as file:
        return content_type_of(file.read(_HEAD))


def shown_inline(content_type: str) -> bool:
    """Whether a browser may show the file itself (an image, a real PDF) instead of only downloading it."""
    return content_type != UNKNOWN


def store(stream, filename: str, field: str, *, instance_id: int | None, task_id: str | None,
          actor: str) -> Attachment:
    """Save `stream` and add its row to the session (the caller commits). Refuses forbidden types and sizes."""
    name = clean_filename(filename)
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in ALLOWED:
        raise InvalidData({field: [str(_l("Files of this type are not accepted; allowed: %(types)s.",
                                          types=", ".join(sorted(ALLOWED))))]})
    limit = current_app.config["MAX_UPLOAD_BYTES"]
    root = Path(current_app.config["UPLOAD_DIR"])
    root.mkdir(parents=True, exist_ok=True)
    digest, size, head = hashlib.sha256(), 0, b""
    with tempfile.NamedTemporaryFile(dir=root, delete=False) as temp:
        try:
            while chunk := stream.read(_CHUNK):
                size += len(chunk)
                if size > limit:
                    raise InvalidData({field: [str(_l("The file is larger than %(size)s.",
                                                      size=size_text(limit)))]})
                digest.update(chunk)
                head += chunk[:_HEAD - len(head)]
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
    attachment = Attachment(sha256=sha, filename=name, content_type=content_type_of(head), size=size,
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
    """The attachment, if `user` may see it; otherwise NotFound as for a missing file (another school's file is not
    confirmed to exist), with the attempt audited."""
    attachment = get(attachment_id)
    if not visible_to(attachment, user):
        conceal(user, "download file", NotFound(_l("File %(id)s not found."), id=attachment_id),
                instance_id=attachment.instance_id)
    return attachment


def visible_to(attachment: Attachment, user) -> bool:
    """A file belongs to its instance, and to its task when it was uploaded in one: whoever may see the whole
    instance may open it, and so may whoever may see that task (a school's scan in the department's collection
    is that school's, not every school's)."""
    instance = db.session.get(ProcessInstance, attachment.instance_id) if attachment.instance_id else None
    if instance is None:
        return False
    if can_view_instance(user, instance):
        return True
    task = db.session.get(HumanTask, attachment.task_id) if attachment.task_id else None
    return task is not None and task.instance_id == instance.id and can_view_task(user, task, instance)


def upload_files(files, *, instance_id: int | None, task_id: str | None, actor: str) -> tuple[list, dict]:
    """Store each (stream, filename, field) of `files` in one transaction. A refused file (its type, its size,
    empty) does not stop the others: the ones kept are committed. Returns, in the order given, a reference
    {"attachment_id", "filename"} or None for each file, and the refused fields' messages."""
    saved, errors = [], {}
    with transaction():
        for stream, filename, field in files:
            try:
                row = store(stream, filename, field, instance_id=instance_id, task_id=task_id, actor=actor)
            except InvalidData as exc:
                errors.update(exc.field_errors)
                saved.append(None)
                continue
            saved.append({"attachment_id": row.id, "filename": row.filename})
    return saved, errors
