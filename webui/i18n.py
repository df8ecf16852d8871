"""Which language and time zone a request is served in: the user's choice, else Russian and Moscow time."""
from flask import current_app, g, request

LANGUAGES = ("ru", "en")


def select_locale():
    from flask_login import current_user  # not for `flask gia …`, which has no signed-in user
    if request and request.path.startswith("/api/"):  # the REST API: Accept-Language, else the token owner's
        return api_locale()
    if current_user and current_user.is_authenticated and current_user.locale in LANGUAGES:
        return current_user.locale
    chosen = request.cookies.get("lang") if request else None
    if chosen in LANGUAGES:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def api_locale() -> str:
    """English when asked for in Accept-Language, else the token owner's saved language, else Russian."""
    asked = request.accept_languages.best_match(LANGUAGES)
    if asked and request.accept_languages.quality(asked) > 0:
        return asked
    user = g.get("api_user")  # set by webui.api.auth.authenticate once the token is checked
    if user is not None and user.locale in LANGUAGES:
        return user.locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone():
    return current_app.config["GIA_TIMEZONE"]
