"""The task page: what to do, the form, and completing it; claiming; downloading attached files."""
from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.datastructures import CombinedMultiDict, FileStorage

import engine
import forms
from engine import attachments, clock
from engine.directory import unit_options
from engine.errors import EngineError, InvalidData
from engine import task_page
from . import drafts, instructions
from .errors import flash_error

bp = Blueprint("tasks", __name__)


def _seen(task_id):
    """The task, if the user may see it; else 404 exactly as for a task that does not exist (the attempt audited),
    as the API answers: ids of another school's tasks cannot be probed. 403 stays for what she may see but not do."""
    return engine.readable_task(task_id, current_user)


@bp.route("/tasks/<task_id>", methods=["GET", "POST"])
@login_required
def show(task_id):
    page = task_page(task_id, current_user)  # 404 for a task she may not see, as _seen answers
    definition = engine.task_form(page.task)
    form, errors = None, {}
    if request.method == "POST":
        if not page.may_act:
            flash(_("This task cannot be completed by you now."), "error")
            return redirect(url_for("tasks.show", task_id=task_id))
        form, errors = _submit(page, definition)
        if form is None:
            return redirect(url_for("inbox.index"))
    # Read only for a page shown: a POST that completes the task does not need it (its step deletes it).
    draft = drafts.draft_of_page(page, definition)
    if request.method != "POST" and definition is not None:
        form = _offer_units(definition, drafts.bind_form(definition, page, draft))
    return render_template("task.html", page=page, definition=definition, form=form, errors=errors, draft=draft,
                           instructions=instructions.render(page.instructions, page.data),
                           comments=engine.comments(page.task.id), now=clock.now(), handed_in=page.handed_in,
                           colleagues=engine.colleagues_for(page.task, current_user) if page.may_act else [],
                           today=clock.now().astimezone(clock.local_zone()).date())


def _submit(page, definition):
    """Complete the task from the posted form. Returns (None, {}) when done, else the form to show again with
    the typed input and the uploads kept. The form is checked here, once (its errors are shown in place), and
    the engine takes its clean data as checked."""
    data, form = {}, None
    if definition is not None:
        posted = CombinedMultiDict([request.form, request.files])
        form = _offer_units(definition, forms.bind_post(definition, posted, _rows_context(definition, posted, page)))
        valid = form.validate()
        data = forms.form_data(definition, form)
        try:
            _store_uploads(data, form, page)
        except InvalidData as exc:
            return form, exc.field_errors
        if not valid:
            flash(_("Please correct the highlighted fields."), "error")
            return form, forms.field_errors(form)
    name = page.task.name  # read before the commit, which expires the row
    try:
        result = engine.complete(page.task.id, current_user, data, validated=definition is not None)
    except InvalidData as exc:
        flash(_("Please correct the highlighted fields."), "error")
        return form, exc.field_errors
    except EngineError as exc:
        flash_error(exc)
        return form, {}
    flash(_("Done: «%(name)s».", name=name), "success")
    if result.status == "error":
        flash(_("The process stopped with an error after your step; the administrator has been told."), "error")
    return None, {}


def _offer_units(definition, form):
    """A units field of a task form offers every unit of its kind, by name: a school's coordinator names the PPE
    her pupil sits in, which is not her unit. The choices also validate the post, so an unknown code is refused."""
    for f in definition.fields:
        if f.type == "units":
            form[f.name].choices = [(code, label.removesuffix(f" ({code})"))
                                    for code, label in unit_options(f.unit_kind)]
    return form


def _rows_context(definition, posted, page) -> dict:
    """The task data bind_post sizes a rows field by, when the post holds no row of it (a `rows_from` list in
    the data); {} when it will not be read, so that a completing POST does not restore the workflow for it."""
    for f in definition.fields:
        if f.type == "rows" and f.rows_from and not any(
                k.startswith(f"{f.name}-") and k.split("-")[1].isdigit() for k in posted.keys()):
            return page.data
    return {}


def _store_uploads(data, form, page):
    """Save fresh uploads and put references in their place, in the data and in the form (so a form shown again
    still holds the files)."""
    found = forms.uploads(data)
    if not found:
        return
    fields = {id(field.data): field for field in _walk(form) if isinstance(field.data, FileStorage)}
    named = [fields.get(id(upload)) for _container, _key, upload in found]
    saved, errors = engine.upload_files(
        [(upload.stream, upload.filename, field.name if field is not None else str(key))
         for (_, key, upload), field in zip(found, named)],
        instance_id=page.instance.id, task_id=page.task.id, actor=current_user.login)
    for (container, key, _upload), field, ref in zip(found, named, saved):
        container[key] = ref
        if field is not None and ref is not None:
            field.data = ref
    if errors:
        raise InvalidData(errors)


def _walk(form):
    for field in form:
        if field.type == "FormField":
            yield from _walk(field.form)
        elif field.type == "FieldList":
            for entry in field.entries:
                yield from (_walk(entry.form) if entry.type == "FormField" else [entry])
        else:
            yield field


@bp.route("/tasks/<task_id>/<any(claim, unclaim):action>", methods=["POST"])
@login_required
def take_or_release(task_id, action):
    """Claim the task (it becomes mine alone) or give it back to everyone it is offered to."""
    _seen(task_id)
    try:
        getattr(engine, action)(task_id, current_user)
        flash(_("The task is yours now.") if action == "claim" else _("The task is back with the group."), "success")
    except EngineError as exc:
        flash_error(exc)
    return redirect(url_for("tasks.show", task_id=task_id))


@bp.route("/tasks/<task_id>/reassign", methods=["POST"])
@login_required
def reassign(task_id):
    _seen(task_id)
    try:
        engine.reassign(task_id, current_user, request.form.get("to", ""), request.form.get("reason", ""))
        flash(_("The task is handed over."), "success")
        return redirect(url_for("inbox.index"))
    except EngineError as exc:
        flash_error(exc)
    return redirect(url_for("tasks.show", task_id=task_id))


@bp.route("/tasks/<task_id>/snooze", methods=["POST"])
@login_required
def snooze(task_id):
    _seen(task_id)
    until = None
    if request.form.get("until"):
        try:
            until = date.fromisoformat(request.form["until"])
        except ValueError:
            flash(_("Enter the date as dd.mm.yyyy."), "error")
            return redirect(url_for("tasks.show", task_id=task_id))
    try:
        engine.snooze(task_id, current_user, until)
        flash(_("The task is hidden until %(date)s.", date=until.strftime("%d.%m.%Y")) if until
              else _("The task is back in your list."), "success")
        return redirect(url_for("inbox.index"))
    except EngineError as exc:
        flash_error(exc)
    return redirect(url_for("tasks.show", task_id=task_id))


@bp.route("/tasks/<task_id>/comments", methods=["POST"])
@login_required
def add_comment(task_id):
    task = _seen(task_id)
    upload = request.files.get("file")
    try:
        attachment_id = None
        if upload is not None and upload.filename:
            [saved], errors = engine.upload_files([(upload.stream, upload.filename, "file")],
                                                  instance_id=task.instance_id, task_id=task.id,
                                                  actor=current_user.login)
            if errors:
                raise InvalidData(errors)
            attachment_id = saved["attachment_id"]
        engine.comment(task.id, current_user, request.form.get("text", ""), attachment_id)
        flash(_("The comment is added."), "success")
    except InvalidData as exc:
        for messages in exc.field_errors.values():
            for message in messages:
                flash(message, "error")
    except EngineError as exc:
        flash_error(exc)
    return redirect(url_for("tasks.show", task_id=task_id) + "#comments")


@bp.route("/files/<int:attachment_id>")
@login_required
def download(attachment_id):
    """A file, typed by its bytes: shown inline only when it is an image or a real PDF, downloaded otherwise (HTML
    named .pdf is neither a PDF nor a page of ours). Another school's file answers 404 like a missing one."""
    attachment = attachments.for_user(attachment_id, current_user)
    kind = attachments.served_type(attachment)
    return send_file(attachments.path_of(attachment), mimetype=kind, download_name=attachment.filename,
                     as_attachment=not attachments.shown_inline(kind))
