"""The API's page for people: from the profile page where tokens are made to Swagger UI listing the operations,
with every file served by the app itself (nothing fetched from outside 127.0.0.1), under the page's own
Content-Security-Policy (no inline script; a violation would show as a console error)."""
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.test_a1_journey import sign_in

pytestmark = pytest.mark.browser


def test_the_api_docs_open_from_the_profile_and_list_the_operations_from_local_files(page, live):
    base, _app = live
    requested, complaints = [], []
    page.on("request", lambda request: requested.append(request.url))
    page.on("response", lambda response: complaints.append(f"{response.status} {response.url}")
            if response.status >= 400 else None)
    page.on("console", lambda message: complaints.append(f"{message.text} ({message.location.get('url')})")
            if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico") else None)
    page.add_init_script("window.violations = []; document.addEventListener('securitypolicyviolation', "
                         "e => window.violations.push(e.violatedDirective + ' ' + e.blockedURI.slice(0, 60)));")
    sign_in(page, base, "tech17")
    page.goto(f"{base}/profile")
    with page.expect_response(f"{base}/api/v1/docs") as opened:
        page.get_by_role("link", name="Документация API").click()
    policy = opened.value.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "unsafe" not in policy, policy

    operations = page.locator(".swagger-ui .opblock")
    expect(operations.first).to_be_visible()
    expect(page.locator(".swagger-ui .opblock-summary-path", has_text="/api/v1/tasks/{task_id}/complete"))\
        .to_be_visible()
    assert operations.count() >= 9
    page.locator(".swagger-ui .opblock-summary", has_text="/api/v1/tasks").first.click()
    expect(page.locator(".swagger-ui .parameters select").first).to_be_visible()  # styled with data: images
    expect(page.locator(".swagger-ui .parameters")).to_contain_text("per_page")

    outside = [url for url in requested if urlsplit(url).hostname != "127.0.0.1"]
    assert not outside, outside
    assert any("/api/v1/docs/static/swagger-ui-bundle.js" in url for url in requested), requested
    assert not complaints, complaints
    assert page.evaluate("window.violations") == []
