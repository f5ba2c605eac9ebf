"""A manager in a real browser (Debian's Chromium through Playwright): sign in, look at the overview, filter by
department, open a case, export a CSV. Screenshots go to docs/screenshots/ for the docs."""

from __future__ import annotations

import csv
import shutil
import threading
from datetime import datetime, timezone
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from config.settings import load_settings
from integrations.web.app import create_app
from integrations.web.dashboard import DashboardOptions, register_dashboard
from swarm.app.bootstrap import build
from swarm.seed import seed_history

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
NOW = datetime(2026, 3, 19, 15, 30, tzinfo=timezone.utc)
TOKEN = "browser-test-token"

pytestmark = pytest.mark.skipif(shutil.which(CHROMIUM) is None,
                                reason=f"{CHROMIUM} is not installed (apt-get install chromium)")


@pytest.fixture
def dashboard_url(database_url, tmp_path):
    container = build(load_settings(database_url=database_url, queue_url=f"sqlite:///{tmp_path / 'queue.db'}",
                                    queue_immediate=True))
    seed_history(container.store, container.config, cases=1500, now=NOW, rng_seed=42, weeks=10)
    app = create_app(container)
    register_dashboard(app, container, options=DashboardOptions(login_token=TOKEN, secret_key="browser"), clock=lambda: NOW)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM,
                                             args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"])
        context = browser.new_context(viewport={"width": 1440, "height": 1000}, accept_downloads=True)
        yield context.new_page()
        browser.close()


def shot(page, name: str, *, full_page: bool = False) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)


def cells(page, table: str, column: int) -> list[str]:
    return page.locator(f'table[data-table="{table}"] tbody tr td:nth-child({column})').all_inner_texts()


def test_a_manager_signs_in_filters_opens_a_case_and_exports_csv(dashboard_url, page, tmp_path):
    page.goto(dashboard_url + "/dashboard/")
    assert "/dashboard/login" in page.url and page.locator("table").count() == 0
    shot(page, "login")

    page.fill('input[name="token"]', TOKEN)
    page.click('button:has-text("Sign in")')
    page.wait_for_selector('table[data-table="open"]')
    open_count = int(page.locator('[data-kpi="open"] dd').inner_text())
    assert open_count == page.locator('table[data-table="open"] tbody tr').count() > 0
    shot(page, "overview")

    page.select_option('select[name="department"]', "it")
    page.click('button:has-text("Apply")')
    page.wait_for_url("**department=it**")
    departments = cells(page, "open", 9)
    assert departments and all("it" in d.split(", ") for d in departments)

    first_case = page.locator('table[data-table="open"] tbody tr td.k-case a').first
    key = first_case.inner_text()
    first_case.click()
    page.wait_for_selector('table[data-table="timeline"]')
    assert page.locator("h1").inner_text().startswith(key)
    assert cells(page, "timeline", 2)[0] == "escalated"
    shot(page, "case", full_page=True)

    page.go_back()
    with page.expect_download() as download:
        page.click("#table-open a.csv")
    saved = tmp_path / "open.csv"
    download.value.save_as(saved)
    rows = list(csv.DictReader(saved.open(encoding="utf-8")))
    assert [r["Case"] for r in rows] == cells(page, "open", 1)

    page.click('nav a:has-text("Timings")')
    page.wait_for_selector("svg.chart")
    assert page.locator('table[data-table="by_department"] tbody tr').count() == 1  # still filtered to IT
    page.select_option('select[name="department"]', "")
    page.click('button:has-text("Apply")')
    page.wait_for_selector('table[data-table="by_department"] tbody tr:nth-child(3)')
    shot(page, "timings", full_page=True)

    page.click('nav a:has-text("Load")')
    page.wait_for_selector('table[data-table="load"] tbody tr')
    shot(page, "load")

    page.goto(dashboard_url + "/dashboard/search?q=refund")
    assert page.locator("mark").count() > 0
    shot(page, "search")
