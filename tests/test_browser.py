"""The landing and docs pages in a real browser: the system's chromium, driven by Playwright.

`make test` installs Debian's chromium with apt where it is missing; the browser is never
downloaded. MOCKSERVER_CHROMIUM names another one (`make test CHROMIUM=...` sets it).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from mockserver import MockServer
from mockserver.vendors import VENDORS

CHROMIUM = Path(os.environ.get("MOCKSERVER_CHROMIUM") or "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert CHROMIUM.exists(), f"no chromium at {CHROMIUM}: `make test` says how to get one"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    opened = browser.new_page()
    opened.set_default_timeout(20_000)
    yield opened
    opened.close()


def test_landing_page(page: Page, mockserver: MockServer) -> None:
    page.goto(mockserver.url_for("/"))  # where a person starts: sent on to the landing page
    assert page.url == mockserver.url_for("/_mock/")
    rows = page.locator("#endpoints tbody tr")
    assert rows.count() == sum(len(v.operations) for v in VENDORS)
    page.locator("a", has_text="Interactive docs").click()
    page.wait_for_selector(".opblock")
    assert page.url.endswith("/_mock/docs")


def test_try_it_out_on_every_operation(page: Page, mockserver: MockServer) -> None:
    page.goto(mockserver.url_for("/_mock/docs"))
    page.wait_for_selector(".opblock")
    ids = [f"{v.name}.{op.name}" for v in VENDORS for op in v.operations]
    assert page.locator(".opblock").count() == len(ids)
    # the reads: a write tried here would change what the next block reads (writes are
    # tested over HTTP and through the SDKs)
    blocks = page.locator(".opblock.opblock-get")
    reads = [op for v in VENDORS for op in v.operations if op.method == "GET"]
    assert blocks.count() == len(reads)
    for n in range(len(reads)):
        block = blocks.nth(n)
        block.locator(".opblock-summary").click()
        block.locator(".try-out__btn").click()
        block.locator(".execute").click()
        status = block.locator(".live-responses-table .response .response-col_status")
        status.wait_for()
        assert status.inner_text().strip() == "200"
        assert block.locator(".live-responses-table .microlight").first.inner_text().strip()
    called = [
        (r["vendor"], r["operation"], r["status"])
        for r in mockserver.requests()
        if r["vendor"] is not None
    ]
    assert sorted(called) == sorted(
        (v.name, op.name, 200) for v in VENDORS for op in v.operations if op.method == "GET"
    )
