"""The activity page's «Версии» in the browser (issue 14 §4): the table reads as one (axe-core finds no WCAG 2.1
A/AA violation), its version links open that version's diagram, and a file link downloads the XML as deployed."""
import pytest
from playwright.sync_api import expect

from tests.browser.test_a11y import assert_accessible
from tests.browser.test_a1_journey import sign_in

pytestmark = pytest.mark.browser


def test_the_versions_section_is_accessible_and_its_links_work(live, page):
    base, app = live
    with app.app_context():
        import engine
        from engine.db import db
        from tests.conftest import linear
        engine.deploy([("vp.bpmn", linear('<bpmn:userTask id="n1" name="Работа"/>', process_id="vp"))],
                      actor="designer", comment="Первая версия")
        engine.start("vp", {}, actor="iao")
        db.session.commit()
        version = engine.process_versions("vp")[0]["version"]
        expected = engine.version_file(version, "vp.bpmn")
        db.session.remove()
    sign_in(page, base, "iao")
    page.goto(f"{base}/activities/vp")
    section = page.get_by_role("region", name="Версии")
    expect(section).to_be_visible()
    row = section.get_by_role("row").nth(1)
    expect(row).to_contain_text("Первая версия")
    expect(row).to_contain_text("1 / 1")
    assert_accessible(page, "the activity page with its versions")
    with page.expect_download() as download:
        section.get_by_role("link", name="vp.bpmn").click()
    assert download.value.suggested_filename == "vp.bpmn"
    assert open(download.value.path(), encoding="utf-8").read() == expected
    section.get_by_role("link", name=str(version), exact=True).click()
    expect(page.locator("#diagram[data-ready=true]")).to_be_attached()
    assert f"version={version}" in page.url
