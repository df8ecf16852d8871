"""Saved filters of a list page (the inbox, the instance list): saving the filter shown and deleting one, the same
two routes on each page's blueprint, kept by engine.service.inbox_aside under the page's name."""
from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

import engine
from engine.errors import EngineError
from .errors import flash_error


def add_saved_filter_routes(bp, query_class, listing: str, page: str, prefix: str = "") -> None:
    """`POST <prefix>/filters` and `POST <prefix>/filters/<id>/delete` on `bp` (endpoints save_filter and
    delete_filter), returning to the `listing` endpoint; `query_class.from_params` reads the filter posted."""

    @bp.route(f"{prefix}/filters", methods=["POST"], endpoint="save_filter")
    @login_required
    def save_filter():
        query = query_class.from_params(request.form)
        try:
            engine.save_filter(current_user, request.form.get("name", ""), request.form.get("scope", "private"),
                               query, unit=request.form.get("unit") or None, page=page)
            flash(_("The filter is saved."), "success")
        except EngineError as exc:
            flash_error(exc)
        return redirect(url_for(listing, **query.params()))

    @bp.route(f"{prefix}/filters/<int:filter_id>/delete", methods=["POST"], endpoint="delete_filter")
    @login_required
    def delete_filter(filter_id):
        try:
            engine.delete_filter(filter_id, current_user, page=page)
            flash(_("The filter is deleted."), "success")
        except EngineError as exc:
            flash_error(exc)
        return redirect(url_for(listing))
