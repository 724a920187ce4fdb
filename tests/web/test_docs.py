"""The API docs open on a machine without internet: a real headless Chromium whose only
reachable host is the service (every other name fails to resolve and every other address
goes to a closed proxy) opens `/docs`, finds the operations listed, and has asked for
nothing anywhere else and broken no rule of the page's Content-Security-Policy. And,
without a browser, everything the page references is on the service."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.chrome.webdriver import WebDriver as Chrome
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from app.api.main import create_app
from app.store.catalogue import Backend
from app.web.router import CONTENT_SECURITY_POLICY
from tests.conftest import drop_test_store, make_settings, open_test_store
from tests.web.conftest import (
    CHROMEDRIVER,
    CHROMIUM,
    browser_or_skip,
    free_port,
    screenshot,
    serving,
)

WAIT_S = 30
TIER = "/v1/members/{member_id}/tier"
# Registered before any page script: what the page's CSP refused, as the browser reports it.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""


@pytest.fixture(scope="module")
def service(request: pytest.FixtureRequest) -> Iterator[str]:
    browser_or_skip()
    store = open_test_store(request, Backend.FALKORDB)
    with serving(store) as url:
        yield url
    drop_test_store(store)


@pytest.fixture(scope="module")
def offline_browser(service: str) -> Iterator[Chrome]:
    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager must not download drivers
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    dead_proxy = free_port()  # bound and released: nothing listens there
    for argument in (
        "--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900",
        "--disable-gpu",
        # No other host: names do not resolve, and any address but loopback (which Chromium
        # never proxies) goes to a proxy that refuses.
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
        f"--proxy-server=http://127.0.0.1:{dead_proxy}",
    ):  # fmt: skip
        options.add_argument(argument)
    # Every request the page makes, failed ones included, from the DevTools network log.
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    browser = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORD_VIOLATIONS})
    yield browser
    browser.quit()


def requested_urls(browser: Chrome) -> list[str]:
    urls = []
    log: list[dict[str, Any]] = browser.get_log("performance")  # type: ignore[no-untyped-call]
    for entry in log:
        message: dict[str, Any] = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def assert_only_the_service(browser: Chrome, service: str) -> None:
    requested = requested_urls(browser)
    resources = browser.execute_script(
        "return performance.getEntriesByType('resource').map((entry) => entry.name)"
    )
    elsewhere = [
        url
        for url in [*requested, *resources]
        if not url.startswith((f"{service}/", "data:", "blob:"))
    ]
    assert requested and not elsewhere
    assert browser.execute_script("return window.__cspViolations") == []


def test_swagger_ui_lists_the_operations_offline(offline_browser: Chrome, service: str) -> None:
    offline_browser.get(f"{service}/docs")
    tier = WebDriverWait(offline_browser, WAIT_S).until(
        lambda d: d.find_elements(
            By.CSS_SELECTOR, f".opblock-get .opblock-summary-path[data-path='{TIER}']"
        )
    )
    assert tier[0].is_displayed()
    paths = {
        element.get_attribute("data-path")
        for element in offline_browser.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")
    }
    assert {"/v1/members", "/v1/ledger", "/readyz"} <= paths
    screenshot(offline_browser, "docs-swagger")
    assert_only_the_service(offline_browser, service)


class References(HTMLParser):
    """Every address an HTML page makes the browser load (src, href, data-*-url)."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is not None and (name in ("src", "href") or name.endswith("-url")):
                self.found.append(value)


def on_the_service(reference: str) -> bool:
    parts = urlsplit(reference)
    return not parts.scheme and not parts.netloc and reference.startswith("/")


def test_everything_the_docs_page_loads_is_on_the_service() -> None:
    client = TestClient(create_app(make_settings()))  # no store needed: not entered
    page = client.get("/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    parser = References()
    parser.feed(page.text)
    assert len(parser.found) == 5, parser.found  # css, icon, openapi, bundle, init
    for reference in parser.found:
        assert on_the_service(reference), reference
        asset = client.get(reference)
        assert asset.status_code == 200, reference
        if reference.endswith(".css"):
            for inside in re.findall(r"url\(\s*['\"]?([^'\")]+)", asset.text):
                assert inside.startswith("data:") or on_the_service(inside), inside
    # Swagger UI would send the document's address to validator.swagger.io for a badge.
    assert "&quot;validatorUrl&quot;: null" in page.text
    # FastAPI's CDN pages are gone, not left blank.
    assert client.get("/redoc").status_code == 404
    assert client.get("/docs/oauth2-redirect").status_code == 404
