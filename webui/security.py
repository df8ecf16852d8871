"""Security headers on every response, and which client address to believe.

Our own after_request hook rather than flask-talisman: we need five fixed headers, and talisman's defaults (HTTPS
redirects, Secure-only session cookies, HSTS) would have to be switched off for `make run` on plain HTTP; TLS and
HSTS belong to the proxy in front of a production server.
"""
from werkzeug.middleware.proxy_fix import ProxyFix

# The app's pages load only their own scripts and styles (webui/static): no inline <script>, style="" or on*=
# handlers, so nothing injected into a page can run. Images may also be data: URIs (Swagger UI's icons on
# /api/v1/docs; an image cannot run anything). A route that truly needs another policy sets its own
# Content-Security-Policy header on its response, which this hook then leaves as it is.
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                           "base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
HEADERS = {
    "X-Content-Type-Options": "nosniff",  # a file is what its Content-Type says, never sniffed into HTML
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate it
    "Referrer-Policy": "same-origin",  # task and instance ids in our URLs stay with us
}


def init_app(app) -> None:
    _trust_proxies(app)

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        for name, value in HEADERS.items():
            response.headers[name] = value
        return response


def _trust_proxies(app) -> None:
    """Behind TRUSTED_PROXIES reverse proxies the client address is read from X-Forwarded-For (as many hops as
    that); with the default 0 the header is ignored, since anyone can send it, and the peer address counts (the
    sign-in throttle, engine.directory.signin, keys on it)."""
    hops = int(app.config.get("TRUSTED_PROXIES") or 0)
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
