"""/api/v1/docs: Swagger UI from the pinned swagger-ui-bundle package, served by the app (never a CDN), started by
a script file (no inline script), linked from the profile page where tokens are made."""
import re

from tests.web.conftest import IsolatedClient


def test_the_docs_page_uses_only_the_app_s_own_files_and_no_inline_script(api):
    page = api.client.get("/api/v1/docs")
    assert page.status_code == 200 and page.mimetype == "text/html"
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "img-src 'self' data:;" in policy and "unsafe" not in policy
    html = page.get_data(as_text=True)
    links = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert all(url.startswith("/") and not url.startswith("//") for url in links), links
    assert re.findall(r"<script(?![^>]*\bsrc=)", html) == []  # every script is a file
    files = re.findall(r'<(?:script|link)\b[^>]*\b(?:src|href)="([^"]+)"', html)
    assert len(files) == 4, files  # icon, style sheet, Swagger UI, our initializer
    for url in files:
        assert api.client.get(url).status_code == 200, url
    assert api.client.get(re.search(r'src="([^"]*swagger-ui-bundle\.js)"', html).group(1)).data.startswith(b"/*")
    for hidden in ("index.html", "oauth2-redirect.html", "swagger-initializer.js", "../__init__.py"):
        assert api.client.get(f"/api/v1/docs/static/{hidden}").status_code == 404, hidden


def test_the_profile_page_links_to_the_docs(api, primary_app):
    primary_app.test_client_class = IsolatedClient
    from tests.web.conftest import csrf
    client = primary_app.test_client()
    client.post("/login", data={"login": "tech17", "password": "demo", "csrf_token": csrf(client.get("/login"))})
    profile = client.get("/profile").get_data(as_text=True)
    assert re.search(r'<a href="/api/v1/docs">Документация API</a>', profile)
