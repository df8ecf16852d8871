"""Users: the list (search, filters, pages, Excel export), the create/edit form with the roles × units editor,
and deactivation (with confirmation) and reactivation."""
from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from engine import audit
from engine.directory import STATES, export_bytes, find_users, role_options, unit_options, user_history
from engine import directory as edit
from engine.errors import EngineError, InvalidData
from webui.errors import flash_error
from . import bp
from .forms import MembershipForm, UserForm, choices, show_errors

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ACTIONS = audit.LABELS  # the one mapping of event kinds to words


def _filters() -> dict:
    state = request.args.get("state", "active")
    return {"q": request.args.get("q", "").strip()[:100], "role": request.args.get("role", ""),
            "unit": request.args.get("unit", ""), "state": state if state in STATES else "active"}


@bp.route("/users")
def users():
    filters = _filters()
    page = find_users(**filters, page=request.args.get("page", 1, type=int))
    return render_template("admin/users.html", page=page, filters=filters, roles=role_options(),
                           units=unit_options())


@bp.route("/users.xlsx")
def export():
    content = export_bytes(**_filters())
    return Response(content, mimetype=XLSX,
                    headers={"Content-Disposition": "attachment; filename=gia-users.xlsx"})


@bp.route("/users/new", methods=["GET", "POST"])
@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def user(user_id=None):
    current = edit.get_user(user_id) if user_id is not None else None
    form = UserForm(data=None if request.method == "POST" else _initial(current))
    if form.validate_on_submit():
        try:
            saved = edit.save_user({name: form[name].data for name in ("login", "full_name", "email", "password")},
                                   actor=current_user.login, user_id=user_id)
        except InvalidData as exc:
            show_errors(form, exc.field_errors)
            flash(_("Please correct the highlighted fields."), "error")
        else:
            flash(_("Saved: %(name)s.", name=saved.full_name or saved.login), "success")
            return redirect(url_for("admin.user", user_id=saved.id))
    return _page(form, current)


def _page(form, current, membership_form=None):
    membership_form = membership_form or MembershipForm(formdata=None)
    membership_form.role.choices = choices([("", _("— choose a role —"))] + role_options())
    membership_form.unit.choices = choices([("", _("— the whole city —"))] + unit_options())
    held = sorted(current.memberships, key=lambda m: (m.role, m.unit.code if m.unit else "")) if current else []
    return render_template("admin/user_form.html", form=form, user=current, held=held,
                           membership_form=membership_form, claimed=edit.claimed_count(current.id) if current else 0,
                           history=user_history(current.login) if current else [], actions=ACTIONS)


def _initial(user) -> dict:
    if user is None:
        return {}
    return {"login": user.login, "full_name": user.full_name or "", "email": user.email or ""}


@bp.route("/users/<int:user_id>/memberships", methods=["POST"])
def add_membership(user_id):
    current = edit.get_user(user_id)
    form = MembershipForm()
    if form.validate_on_submit():
        try:
            edit.add_membership(user_id, form.role.data, form.unit.data or None, actor=current_user.login)
        except InvalidData as exc:
            show_errors(form, exc.field_errors)
            flash(_("The role was not added: %(problems)s", problems="; ".join(exc.problems())), "error")
            return _page(UserForm(formdata=None, data=_initial(current)), current, form)
        flash(_("The role was added."), "success")
    return redirect(url_for("admin.user", user_id=user_id) + "#roles")


@bp.route("/users/<int:user_id>/memberships/remove", methods=["POST"])
def remove_membership(user_id):
    try:
        edit.remove_membership(request.form.get("membership", 0, type=int), actor=current_user, user_id=user_id)
        flash(_("The role was removed."), "success")
    except EngineError as exc:
        flash_error(exc)
    return redirect(url_for("admin.user", user_id=user_id) + "#roles")


@bp.route("/users/<int:user_id>/deactivate", methods=["GET", "POST"])
def deactivate(user_id):
    current = edit.get_user(user_id)
    if request.method == "POST":
        try:
            released = edit.deactivate_user(user_id, actor=current_user)
        except EngineError as exc:
            flash_error(exc)
        else:
            flash(_("%(login)s was deactivated; tasks returned to the group: %(count)s.", login=current.login,
                    count=released), "success")
        return redirect(url_for("admin.user", user_id=user_id))
    return render_template("admin/confirm.html", user=current, claimed=edit.claimed_count(user_id))


@bp.route("/users/<int:user_id>/reactivate", methods=["POST"])
def reactivate(user_id):
    user = edit.reactivate_user(user_id, actor=current_user.login)
    flash(_("%(login)s can sign in again.", login=user.login), "success")
    return redirect(url_for("admin.user", user_id=user_id))
