"""Organisation units: the list by kind (the department's tree, schools, PPE) and the create/edit form."""
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from engine.directory import (KIND_LABELS, KINDS, SECTIONS, get_unit, save_unit, unit_members, unit_options,
                              unit_sections)
from engine.errors import InvalidData
from . import bp
from .forms import UnitForm, choices, show_errors


@bp.route("/units")
def units():
    kind = request.args.get("kind", "")
    kind = kind if kind in KINDS else ""
    q = request.args.get("q", "").strip()
    return render_template("admin/units.html", sections=unit_sections(kind, q), kind=kind, q=q,
                           kinds=KIND_LABELS, section_kinds=dict(SECTIONS))


@bp.route("/units/new", methods=["GET", "POST"])
@bp.route("/units/<int:unit_id>", methods=["GET", "POST"])
def unit(unit_id=None):
    current = get_unit(unit_id) if unit_id is not None else None
    form = UnitForm(data=None if request.method == "POST" else _initial(current))
    others = [c for c in unit_options() if current is None or c[0] != current.code]
    form.parent.choices = choices([("", "—")] + others)
    form.host.choices = choices([("", "—")] + unit_options("school"))
    if form.validate_on_submit():
        try:
            saved = save_unit({name: form[name].data for name in ("code", "name", "kind", "parent", "host", "number",
                                                                  "auditoriums", "exams")},
                              actor=current_user.login, unit_id=unit_id)
        except InvalidData as exc:
            show_errors(form, exc.field_errors)
            flash(_("Please correct the highlighted fields."), "error")
        else:
            flash(_("Saved: %(name)s.", name=saved.name), "success")
            return redirect(url_for("admin.unit", unit_id=saved.id))
    members = unit_members(current.id) if current is not None else []
    return render_template("admin/unit_form.html", form=form, unit=current, members=members)


def _initial(unit) -> dict:
    """The form's first values: the unit's, or a new unit's (kind and parent may come in the query string)."""
    if unit is None:
        return {"kind": request.args.get("kind", "school"), "parent": request.args.get("parent", "")}
    attrs = unit.attrs or {}
    parent = get_unit(unit.parent_id).code if unit.parent_id is not None else ""
    return {"code": unit.code, "name": unit.name, "kind": unit.kind, "parent": parent,
            "host": unit.host.code if unit.host is not None else "", "number": attrs.get("number", ""),
            "auditoriums": attrs.get("auditoriums", ""), "exams": ", ".join(attrs.get("exams") or [])}
