"""The pages in a real headless Chromium (Debian's `chromium` and `chromium-driver`) against
the real service, served by uvicorn on a free port over the embedded engine, holding a
generated network and a connector run. One browser and one server for the module."""

from __future__ import annotations

import csv
import os
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from app.api.deps import get_now
from app.api.main import create_app
from app.domain.tiers import DEFAULT_LADDER
from app.services.connectors import run_connectors
from app.services.demo import load_demo_ledger
from app.services.generator import DAY_MS, generate_network
from app.services.importer import import_members
from app.store.catalogue import Backend
from app.store.cypher_store import CypherStore
from tests.conftest import ROLE_KEYS, drop_test_store, make_settings, open_test_store
from tests.engines import ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = Path(os.environ.get("REFGRAPH_TEST_ARTIFACTS", ROOT / ".artifacts")) / "browser"


@dataclass(frozen=True)
class Site:
    url: str
    widest: str  # the member with the most direct invitees
    widest_direct: int


# The views each role is offered, in menu order (app/web/router.py VIEW_ROLES): what the
# router test reads from /ui/context and the browser test sees in the menu.
EVERYTHING = [
    "dashboard",
    "search",
    "tree",
    "chart",
    "leaderboards",
    "connectors",
    "tiers",
    "cohorts",
    "payouts",
    "statement",
    "webhooks",
]
ROLE_VIEWS = {
    "admin": EVERYTHING,
    "storefront": ["search", "leaderboards", "statement"],
    "growth": [view for view in EVERYTHING if view not in ("payouts", "statement", "webhooks")],
    "auditor": [view for view in EVERYTHING if view not in ("tiers", "webhooks")],
}


def browser_or_skip() -> None:
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.exists()]
    if not missing:
        return
    message = (
        f"no headless browser: {', '.join(missing)} missing (apt install chromium chromium-driver)"
    )
    if os.environ.get("REFGRAPH_REQUIRE_BROWSER") == "1":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def site_store(request: pytest.FixtureRequest) -> Iterator[CypherStore]:
    store = open_test_store(request, Backend.FALKORDB)
    yield store
    drop_test_store(store)


@pytest.fixture(scope="module")
def site(site_store: CypherStore, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    browser_or_skip()
    network = tmp_path_factory.mktemp("site") / "network.csv"
    now = int(time.time() * 1000)
    # Joined over the last ten months, so the cohort page's default window (the last twelve)
    # holds several cohorts, with orders from the seed plan's start for them to repurchase.
    generate_network(members=3000, out=network, seed=5, start_ms=now - 300 * DAY_MS, span_days=290)
    import_members(store=site_store, ladder=DEFAULT_LADDER, source=network, batch_size=1000)
    load_demo_ledger(
        store=site_store,
        ladder=DEFAULT_LADDER,
        network=network,
        plan_file=ROOT / "examples" / "seed-plan.json",
        orders=400,
        now=now,
    )
    with network.open() as rows:
        direct = Counter(row["inviter_id"] for row in csv.DictReader(rows) if row["inviter_id"])
    [(widest, widest_direct)] = direct.most_common(1)
    run_connectors(store=site_store, ladder=DEFAULT_LADDER, now=now)
    with serving(site_store) as url:
        yield Site(url, widest, widest_direct)


@contextmanager
def serving(store: CypherStore, now: Callable[[], int] | None = None) -> Iterator[str]:
    """The service on `store` under uvicorn on a free local port; its URL. `now`, when
    given, is the service's clock."""
    port = free_port()
    app = create_app(make_settings(), store=store)
    if now is not None:
        app.dependency_overrides[get_now] = now
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the service did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture(scope="module")
def driver(site: Site) -> Iterator[WebDriver]:
    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager must not download drivers
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     "--window-size=1280,900", "--disable-gpu"):  # fmt: skip
        options.add_argument(argument)
    browser = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    browser.implicitly_wait(0)
    yield browser
    browser.quit()


def screenshot(driver: WebDriver, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    assert driver.save_screenshot(str(path)), f"no screenshot at {path}"
    return path


def signed_in(driver: WebDriver, site: Site, key: str = ROLE_KEYS["admin"]) -> None:
    """Opens the page and enters the key in the key form."""
    driver.get(site.url + "/")
    field = driver.find_element(By.CSS_SELECTOR, "[data-testid=key-input]")
    field.send_keys(key)
    driver.find_element(By.CSS_SELECTOR, "[data-testid=key-save]").click()
