"""Blueprints open to some users only (administration, the city plan): one guard for all their routes."""
from flask import request
from flask_login import current_user

from engine.access import refuse


def restrict(bp, allowed, area: str, message=None, link: str | None = None) -> None:
    """Every route of `bp` asks for sign-in and refuses (403, audited) users for whom `allowed(user)` is false.
    `link`: the name of a template function telling the navigation bar whether to show the area."""
    @bp.before_request
    def guard():
        if not current_user.is_authenticated:
            from webui.auth import login_manager
            return login_manager.unauthorized()
        if not allowed(current_user):
            refuse(current_user, f"{area} {request.method} {request.path}", message=message)
        return None

    if link:
        @bp.app_context_processor
        def show_link():
            # asked only when a page renders the navigation bar
            return {link: lambda: current_user.is_authenticated and allowed(current_user)}
