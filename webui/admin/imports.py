"""The Excel import: upload, the downloadable template, and the result (every problem by sheet and row, or what
was created and updated)."""
from flask import Response, render_template
from flask_login import current_user

from engine.directory import ImportRefused, import_directory, template_bytes
from . import bp
from .forms import ImportForm
from .users import XLSX

SHOWN_PROBLEMS = 500


@bp.route("/import", methods=["GET", "POST"])
def import_file():
    form = ImportForm()
    result = refused = None
    if form.validate_on_submit():
        upload = form.file.data
        try:
            result = import_directory(upload.read(), actor=current_user.login, filename=upload.filename)
        except ImportRefused as exc:
            refused = exc
    status = 422 if refused is not None else 200
    return render_template("admin/import.html", form=form, result=result, refused=refused,
                           shown=SHOWN_PROBLEMS, filename=getattr(form.file.data, "filename", None)), status


@bp.route("/import/template.xlsx")
def template():
    return Response(template_bytes(), mimetype=XLSX,
                    headers={"Content-Disposition": "attachment; filename=gia-import-template.xlsx"})
