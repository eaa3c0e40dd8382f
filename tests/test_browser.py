"""The landing and docs pages in a real browser: the system's chromium, driven by Playwright.

`make test` installs Debian's chromium with apt where it is missing; the browser is never
downloaded. MOCKSERVER_CHROMIUM names another one (`make test CHROMIUM=...` sets it).
"""

from __future__ import annotations

import dataclasses
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import dashscope
import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from mockserver import MockServer
from mockserver.app import create_app
from mockserver.openapi import example_url
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


def test_the_console_follows_an_sdk_flow(
    mockserver: MockServer, page: Page, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A script drives the DashScope SDK while the console is open: the feed shows each
    call, the new deployment's row moves from PENDING to RUNNING once the presenter
    advances the clock (and the script's wait loop reads it), and a reset removes it."""
    monkeypatch.setattr(dashscope, "base_http_api_url", mockserver.url_for("/api/v1"))
    monkeypatch.setattr(dashscope, "api_key", "sk-demo-key")
    # a deployment becomes RUNNING 10 minutes (of the mock's clock) after its creation
    timing = httpx.post(mockserver.url_for("/_mock/transitions"), json={"timing": "seconds:600"})
    assert timing.status_code == 200, timing.text
    shots = Path(os.environ.get("MOCKSERVER_SCREENSHOTS") or tmp_path)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(mockserver.url_for("/_mock/"))
    expect(page.locator("#link")).to_have_text("live")
    deployments = page.locator("#state-dashscope-deployments")
    loaded = len(mockserver.app.store.listing("dashscope", "deployments"))
    expect(deployments).to_contain_text(f"deployments ({loaded})")

    assert dashscope.Deployments.list(page_no=1, page_size=10).status_code == 200
    created = dashscope.Deployments.call(model="qwen-plus", capacity=2, suffix="demo")
    assert created.status_code == 200, (created.code, created.message)
    deployed = created.output.deployed_model
    assert dashscope.Deployments.get(deployed).output.status == "PENDING"

    feed = page.locator("#feed tbody tr")
    expect(feed).to_have_count(3)
    for row, operation in zip(
        range(3), ("GetDeployment", "CreateDeployment", "ListDeployments"), strict=True
    ):
        expect(feed.nth(row)).to_contain_text(f"dashscope{operation}200")
    row = deployments.locator(f'tr[data-key="{deployed}"]')
    expect(row).to_contain_text("PENDING")
    expect(deployments).to_contain_text(f"deployments ({loaded + 1})")

    page.locator("#advance-by").select_option("600")
    page.locator("#advance").click()
    expect(page.locator("#clock-note")).to_have_text("(+600 s)")
    assert mockserver.app.clock.time() - time.time() == pytest.approx(600, abs=5)
    assert dashscope.Deployments.get(deployed).output.status == "RUNNING"  # the wait loop
    expect(row).to_contain_text("RUNNING")
    expect(feed).to_have_count(4)
    page.screenshot(path=str(shots / "console.png"))

    feed.nth(2).click()  # the create: its body and answer, the key masked
    detail = page.locator("#detail")
    expect(detail).to_contain_text("POST /api/v1/deployments -> 200")
    expect(detail).to_contain_text('"model_name": "qwen-plus"')
    expect(detail).to_contain_text(deployed)
    expect(detail).to_contain_text("Bearer sk-d****")
    assert "sk-demo-key" not in detail.inner_text()
    page.screenshot(path=str(shots / "console-detail.png"))
    page.keyboard.press("Escape")
    expect(detail).to_be_hidden()

    page.keyboard.press("r")  # reset, from the keyboard
    expect(row).to_have_count(0)
    expect(deployments).to_contain_text(f"deployments ({loaded})")
    expect(page.locator("#clock-note")).to_have_text("")
    assert dashscope.Deployments.get(deployed).status_code == 404
    expect(feed.first).to_contain_text("GetDeployment404")


def test_the_console_switches_an_outage_and_asks_for_the_admin_token(page: Page) -> None:
    server = MockServer()
    server.settings = dataclasses.replace(server.settings, admin_token="s3cret")
    server.app = create_app(server.settings)
    with server:
        page.on("dialog", lambda dialog: dialog.accept("s3cret"))
        page.goto(server.url_for("/_mock/"))
        expect(page.locator("#link")).to_have_text("live")
        switch = page.locator('#outages button[data-vendor="pai"]')
        expect(switch).to_have_text(re.compile(r": up$"))
        switch.focus()
        page.keyboard.press("Enter")  # the prompt's token is sent and kept for the tab
        expect(switch).to_have_attribute("aria-pressed", "true")
        [rule] = server.app.faults.listing()
        assert (rule["vendor"], rule["status"], rule["times"]) == ("pai", 503, None)
        assert page.evaluate("sessionStorage.getItem('mockserver.adminToken')") == "s3cret"
        answer = httpx.get(server.url_for(example_url(VENDORS[0].operations[0])))
        assert answer.status_code == 503
        expect(page.locator("#feed tbody tr").first).to_contain_text("fault 503")
        switch.click()
        expect(switch).to_have_attribute("aria-pressed", "false")
        assert server.app.faults.listing() == []
        page.close()  # before the server stops: its stream ends with it


def test_the_console_restores_a_named_snapshot(mockserver: MockServer, page: Page) -> None:
    taken = httpx.post(mockserver.url_for("/_mock/snapshots/before-demo"))
    assert taken.status_code == 201, taken.text
    record = dict(mockserver.app.store.listing("pai", "models")[0], ModelId="model-addedindemo")
    assert httpx.post(mockserver.url_for("/_mock/data/pai/models"), json=record).status_code == 201
    page.goto(mockserver.url_for("/_mock/"))
    expect(page.locator("#link")).to_have_text("live")
    models = page.locator("#state-pai-models")
    expect(models.locator('tr[data-key="model-addedindemo"]')).to_have_count(1)
    expect(page.locator("#snapshot")).to_have_value("before-demo")
    page.locator("#restore").click()
    expect(models.locator('tr[data-key="model-addedindemo"]')).to_have_count(0)
    expect(page.locator("#message")).to_have_text("Restored snapshot before-demo")
    assert "model-addedindemo" not in str(mockserver.app.store.listing("pai", "models"))
