"""Public pages at a phone's width (390 px): a wide list scrolls inside its own box, the page itself never
scrolls sideways (the header band, the search form and the footer stay the phone's width). Screenshots in
Chinese and English go to tests/artifacts/."""

from __future__ import annotations

import pytest

from runner.catalogue import items
from tests.support.catalogue import demo
from tests.support.flow import deploy_library

from .conftest import screenshot

pytestmark = pytest.mark.slow
PHONE = {"width": 390, "height": 844}
PUBLIC = ("/guide", "/guide/SC-001", "/apply")


@pytest.fixture
def catalogue(services):
    deploy_library(
        services, "block_correction.bpmn", "block_refusal.bpmn", "chengnuo.bpmn", "lianban_chaogao.bpmn"
    )
    with services.transaction() as s:
        for code in ("SC-001", "SC-002", "GT-001"):
            items.save_item(s, demo(code), actor="admin")


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_public_pages_do_not_scroll_sideways_on_a_phone(services, catalogue, live_server, browser, lang):
    context = browser.new_context(locale="zh-CN", viewport=PHONE)
    try:
        page = context.new_page()
        for path in PUBLIC:
            assert page.goto(f"{live_server}{path}?lang={lang}").status == 200
            wide = page.evaluate("document.documentElement.scrollWidth")
            screenshot(page, f"phone{path.replace('/', '_')}_{lang}")
            assert wide <= PHONE["width"], f"{path} is {wide} px wide on a {PHONE['width']} px phone"
            table = page.locator("table.list").first
            if table.count():
                box = table.bounding_box()
                assert box and box["x"] + box["width"] <= PHONE["width"], f"{path}: the list sticks out"
    finally:
        context.close()
