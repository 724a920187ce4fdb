"""What a growth analyst does in the browser: sign in with her key, open a member's tree,
expand a node, page a wide level, re-root by clicking a name and walk back by the
breadcrumb; rank connectors; ask a tier what-if; see the cohort chart. Screenshots of each
go to the artifacts folder (tests/web/conftest.py)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from urllib.parse import unquote

import httpx
import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.expected_conditions import alert_is_present, staleness_of
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.ui import WebDriverWait

from app.domain.tiers import DEFAULT_LADDER
from app.domain.units import iso_epoch_ms
from app.domain.webhooks import RetrySchedule, WorkerSettings
from app.services.webhook_delivery import WebhookWorker
from app.store.catalogue import Backend
from app.store.cypher_store import CypherStore
from tests.conftest import ROLE_KEYS, auth, drop_test_store, open_test_store
from tests.engines import ROOT
from tests.receiver import receiving
from tests.web.conftest import ROLE_VIEWS, Site, screenshot, serving, signed_in

WAIT_S = 20


def waiting(driver: WebDriver, seconds: float = WAIT_S) -> WebDriverWait[WebDriver]:
    """A wait that looks again when the page re-rendered the element it was reading (a
    view replaces its nodes as answers arrive)."""
    return WebDriverWait(driver, seconds, ignored_exceptions=(StaleElementReferenceException,))


def by_testid(name: str) -> str:
    return f"[data-testid={name}]"


def shown(driver: WebDriver | WebElement, name: str) -> list[WebElement]:
    return [e for e in driver.find_elements(By.CSS_SELECTOR, by_testid(name)) if e.is_displayed()]


def wait_for(driver: WebDriver, name: str, count: int = 1) -> list[WebElement]:
    waiting(driver).until(lambda d: len(shown(d, name)) >= count)
    return shown(driver, name)


def open_tree(driver: WebDriver, site: Site, member: str) -> WebElement:
    signed_in(driver, site)
    waiting(driver).until(
        lambda d: (
            "signed in as admin" in d.find_element(By.CSS_SELECTOR, by_testid("key-status")).text
        )
    )
    driver.get(f"{site.url}/#/tree/{member}")
    [root] = wait_for(driver, "tree-root")
    return root


def pick_tree_date(driver: WebDriver, day: str) -> None:
    """Sets the tree's date picker to `day` (YYYY-MM-DD) as a user's pick does."""
    [picker] = wait_for(driver, "tree-as-of")
    driver.execute_script(
        "arguments[0].value = arguments[1];"
        "arguments[0].dispatchEvent(new Event('change', {bubbles: true}))",
        picker,
        day,
    )


def root_children(driver: WebDriver) -> list[WebElement]:
    root = driver.find_element(By.CSS_SELECTOR, f"{by_testid('tree-root')} > li")
    return root.find_elements(By.CSS_SELECTOR, f":scope > {by_testid('children')} > li")


def test_the_tree_expands_pages_and_re_roots(driver: WebDriver, site: Site) -> None:
    open_tree(driver, site, site.widest)
    [current] = wait_for(driver, "crumb-current")
    assert current.get_attribute("data-member-id") == site.widest
    # Her first page of invitees is listed with their badges and counts.
    waiting(driver).until(lambda d: len(root_children(d)) == 20)
    first_page = [li.get_attribute("data-member-id") for li in root_children(driver)]
    assert len(set(first_page)) == 20 and site.widest_direct > 20
    assert shown(driver, "tier-badge") and shown(driver, "counts")

    # A wide level pages: "more" adds the next 20, nobody twice, until all are shown.
    more = driver.find_element(
        By.CSS_SELECTOR, f"{by_testid('tree-root')} > li > div > {by_testid('more')}"
    )
    more.click()
    waiting(driver).until(lambda d: len(root_children(d)) == 40)
    listed = [li.get_attribute("data-member-id") for li in root_children(driver)]
    assert listed[:20] == first_page and len(set(listed)) == 40
    screenshot(driver, "tree-paged")

    # Expanding a child with invitees lazily loads her level.
    child = next(
        li for li in root_children(driver)
        if li.find_element(By.CSS_SELECTOR, by_testid("expand")).is_enabled()
    )  # fmt: skip
    child.find_element(By.CSS_SELECTOR, by_testid("expand")).click()
    waiting(driver).until(
        lambda d: child.find_elements(By.CSS_SELECTOR, f"{by_testid('children')} > li")
    )
    screenshot(driver, "tree-expanded")

    # Clicking her name re-roots the view on her; the breadcrumb leads back up.
    child_id = child.get_attribute("data-member-id")
    child.find_element(By.CSS_SELECTOR, by_testid("node-name")).click()
    waiting(driver).until(
        lambda d: (
            d.find_element(By.CSS_SELECTOR, by_testid("crumb-current")).get_attribute(
                "data-member-id"
            )
            == child_id
        )
    )
    crumbs = [c.get_attribute("data-member-id") for c in wait_for(driver, "crumb")]
    assert crumbs[-1] == site.widest
    screenshot(driver, "tree-rerooted")
    driver.find_elements(By.CSS_SELECTOR, by_testid("crumb"))[-1].click()
    waiting(driver).until(
        lambda d: (
            d.find_element(By.CSS_SELECTOR, by_testid("crumb-current")).get_attribute(
                "data-member-id"
            )
            == site.widest
        )
    )


def test_the_connectors_view_ranks_with_reasons(driver: WebDriver, site: Site) -> None:
    signed_in(driver, site)
    driver.get(f"{site.url}/#/connectors")
    rows = wait_for(driver, "connector-row", 10)
    ranks = [int(row.find_element(By.CSS_SELECTOR, "td").text) for row in rows]
    assert ranks == list(range(1, len(rows) + 1))
    assert shown(driver, "part-betweenness") and shown(driver, "part-circles_reached")
    meta = driver.find_element(By.CSS_SELECTOR, by_testid("connectors-meta")).text
    # 3,000 members: an exact run (sampling starts past EXACT_UP_TO members).
    assert "exact" in meta and "betweenness by igraph" in meta
    Select(driver.find_element(By.CSS_SELECTOR, by_testid("connectors-sort"))).select_by_value(
        "paid_direct_invites"
    )
    driver.find_element(By.CSS_SELECTOR, by_testid("connectors-apply")).click()
    waiting(driver).until(
        lambda d: (
            [
                int(cell.text.replace(",", ""))
                for cell in shown(d, "part-paid_direct_invites")
                if cell.tag_name == "td"
            ]
            == sorted(
                (
                    int(c.text.replace(",", ""))
                    for c in shown(d, "part-paid_direct_invites")
                    if c.tag_name == "td"
                ),
                reverse=True,
            )
        )
    )
    screenshot(driver, "connectors")


def test_the_what_if_form_answers(driver: WebDriver, site: Site) -> None:
    signed_in(driver, site)
    driver.get(f"{site.url}/#/tiers")
    # The view opens on the ladder in force: the distribution now, nobody moving.
    wait_for(driver, "no-moves")
    now = {row.get_attribute("data-tier"): row for row in shown(driver, "tier-row")}
    assert list(now) == [step.tier for step in DEFAULT_LADDER.steps]
    # "What if the second tier needed a single paid invite?": every bee with one moves up.
    second = wait_for(driver, "ladder-min", 2)[1]
    second.clear()
    second.send_keys("1")
    driver.find_element(By.CSS_SELECTOR, by_testid("whatif-submit")).click()
    [move] = wait_for(driver, "move-row")
    assert (move.get_attribute("data-from"), move.get_attribute("data-to")) == (
        DEFAULT_LADDER.steps[0].tier, DEFAULT_LADDER.steps[1].tier,
    )  # fmt: skip
    moved = int(move.find_element(By.CSS_SELECTOR, by_testid("move-count")).text.replace(",", ""))
    samples = move.find_elements(By.CSS_SELECTOR, "a[data-member-id]")
    assert moved > 0 and 0 < len(samples) <= min(moved, 20)
    assert shown(driver, "allowance-delta") and not shown(driver, "problem")
    screenshot(driver, "what-if")
    # Both tables leave as CSV, with the cells as shown.
    tables = driver.find_elements(By.CSS_SELECTOR, ".view-tiers .downloadable")
    assert len(tables) == 2
    for table in tables:
        assert len(downloaded_csv(driver, table)) == len(table.find_elements(By.CSS_SELECTOR, "tr"))


def test_the_cohort_chart_is_drawn(driver: WebDriver, site: Site) -> None:
    signed_in(driver, site)
    driver.get(f"{site.url}/#/cohorts")
    rows = wait_for(driver, "cohort-row", 2)
    chart = driver.find_element(By.CSS_SELECTOR, f"svg{by_testid('cohort-chart')}")
    assert len(chart.find_elements(By.CSS_SELECTOR, "rect.cohort-bar")) == len(rows)
    assert chart.find_elements(By.CSS_SELECTOR, "polyline")
    buyers = [int(row.find_elements(By.CSS_SELECTOR, "td")[2].text) for row in rows]
    assert sum(buyers) > 0
    screenshot(driver, "cohorts")
    [table] = driver.find_elements(By.CSS_SELECTOR, ".view-cohorts .downloadable")
    lines = downloaded_csv(driver, table)
    assert lines[0].startswith("Join month,Members,Buyers") and len(lines) == len(rows) + 1
    assert [line.split(",")[2] for line in lines[1:]] == [str(b) for b in buyers]


def downloaded_csv(driver: WebDriver, table: WebElement) -> list[str]:
    """Clicks the table's Download CSV button and reads the file it made (headless Chromium
    saves nothing, so the file is read back from the link's data: URL)."""
    table.find_element(By.CSS_SELECTOR, by_testid("csv-download")).click()
    link = table.find_element(By.CSS_SELECTOR, by_testid("csv-file"))
    prefix = "data:text/csv;charset=utf-8,"
    waiting(driver).until(lambda d: (link.get_attribute("href") or "").startswith(prefix))
    text = unquote((link.get_attribute("href") or "").removeprefix(prefix))
    assert text.startswith("\ufeff")
    return text.removeprefix("\ufeff").splitlines()


def test_a_bad_key_is_told_so(driver: WebDriver, site: Site) -> None:
    signed_in(driver, site, key="not-a-key")
    [problem] = wait_for(driver, "auth-problem")
    assert "not valid" in problem.text
    screenshot(driver, "bad-key")


def test_members_are_found_by_prefix_and_filters_then_open_as_a_card(
    driver: WebDriver, site: Site
) -> None:
    signed_in(driver, site)
    driver.get(f"{site.url}/#/search")
    field = wait_for(driver, "search-input")[0]
    field.send_keys(site.widest.upper())  # any case
    driver.find_element(By.CSS_SELECTOR, by_testid("search-submit")).click()
    rows = wait_for(driver, "search-row")
    ids = [row.get_attribute("data-member-id") or "" for row in rows]
    assert ids[0] == site.widest and all(i.startswith(site.widest) for i in ids)
    screenshot(driver, "member-search")
    [table] = driver.find_elements(By.CSS_SELECTOR, ".view-search .downloadable")
    lines = downloaded_csv(driver, table)
    assert (
        lines[0] == "Member,Tier,Joined,Direct,Downline,Paid invites"
        and len(lines) == len(rows) + 1
    )
    # Filters narrow it: the paid members without a prefix, 50 a page, then the next page.
    field.clear()
    Select(shown(driver, "search-paid")[0]).select_by_value("true")
    Select(shown(driver, "search-sort")[0]).select_by_value("id")
    driver.find_element(By.CSS_SELECTOR, by_testid("search-submit")).click()
    waiting(driver).until(lambda d: len(shown(d, "search-row")) == 50)
    first_page = [row.get_attribute("data-member-id") for row in shown(driver, "search-row")]
    wait_for(driver, "search-more")[0].click()
    waiting(driver).until(lambda d: len(shown(d, "search-row")) == 100)
    both = [row.get_attribute("data-member-id") or "" for row in shown(driver, "search-row")]
    assert both[:50] == first_page and both == sorted(both) and len(set(both)) == 100
    field.send_keys("no-such-prefix")
    driver.find_element(By.CSS_SELECTOR, by_testid("search-submit")).click()
    wait_for(driver, "search-empty")
    # The card: counts, circles, earnings and her tree.
    field.clear()
    field.send_keys(site.widest)
    Select(shown(driver, "search-paid")[0]).select_by_value("")
    driver.find_element(By.CSS_SELECTOR, by_testid("search-submit")).click()
    wait_for(driver, "search-row")
    driver.find_element(
        By.CSS_SELECTOR,
        f"{by_testid('search-row')}[data-member-id='{site.widest}'] {by_testid('search-open')}",
    ).click()
    [card] = wait_for(driver, "member-card")
    assert card.get_attribute("data-member-id") == site.widest
    assert card.find_elements(By.CSS_SELECTOR, by_testid("tier-badge"))
    downline = card.find_element(By.CSS_SELECTOR, by_testid("card-downline")).text
    assert downline.startswith(f"{site.widest_direct:,} direct")
    assert card.find_element(By.CSS_SELECTOR, by_testid("card-circles")).text
    assert card.find_element(By.CSS_SELECTOR, by_testid("card-earnings")).text
    screenshot(driver, "member-card")
    card.find_element(By.CSS_SELECTOR, by_testid("open-tree")).click()
    [current] = wait_for(driver, "crumb-current")
    assert current.get_attribute("data-member-id") == site.widest
    driver.get(f"{site.url}/#/search/nobody-here")
    [problem] = wait_for(driver, "problem")
    assert problem.get_attribute("data-status") == "404" and "nobody-here" in problem.text
    screenshot(driver, "member-not-found")


def test_an_admin_runs_the_connectors_now(driver: WebDriver, site: Site) -> None:
    signed_in(driver, site)
    driver.get(f"{site.url}/#/connectors")
    wait_for(driver, "connector-row")
    wait_for(driver, "connectors-run")[0].click()
    waiting(driver, 60).until(
        lambda d: (
            d.find_element(By.CSS_SELECTOR, by_testid("job-status")).get_attribute("data-status")
            in ("succeeded", "failed")
        )
    )
    status = driver.find_element(By.CSS_SELECTOR, by_testid("job-status"))
    assert (status.get_attribute("data-status"), status.text) == ("succeeded", "succeeded 100.0%")
    # The ranking is read again from the new run.
    assert wait_for(driver, "connector-row") and not shown(driver, "problem")


def signed_in_as(role: str) -> Callable[[WebDriver], bool]:
    def says(driver: WebDriver) -> bool:
        status = driver.find_element(By.CSS_SELECTOR, by_testid("key-status")).text
        return f"signed in as {role}" in status

    return says


def test_each_role_sees_only_the_pages_and_actions_it_may_use(
    driver: WebDriver, site: Site
) -> None:
    for role, views in ROLE_VIEWS.items():
        signed_in(driver, site, key=ROLE_KEYS[role])
        waiting(driver).until(signed_in_as(role))
        offered = [
            link.get_attribute("data-view")
            for link in shown(driver, "nav")[0].find_elements(By.TAG_NAME, "a")
            if link.is_displayed()
        ]
        assert offered == views, role
        # Webhooks are the admin's alone: another role is shown its first view and the page
        # asks nothing of the webhook routes (which would answer 403).
        drawn = "webhooks" if role == "admin" else views[0]
        requested = hash_requests(driver, site.url, "#/webhooks", f"view-{drawn}")
        if role == "admin":
            wait_for(driver, "webhook-form")
            assert "/v1/webhooks" in requested, requested
        else:
            assert not shown(driver, "view-webhooks"), role
            assert not any("/webhooks" in url for url in requested), (role, requested)
        # A view the role may not open is not drawn: the page falls back to the first.
        driver.get(f"{site.url}/#/tiers")
        wait_for(driver, f"view-{'tiers' if 'tiers' in views else views[0]}")
        driver.get(f"{site.url}/#/connectors")
        if "connectors" in views:
            wait_for(driver, "connectors-results")
            assert bool(shown(driver, "connectors-run")) == (role in ("admin", "growth")), role
        # The member card shows her points to the roles that may read them (the site's plan
        # earns none: "0 points"); the others get no section and ask for none (no 403).
        requested = card_requests(driver, site.url, site.widest)
        if role in POINTS_READERS:
            assert wait_for(driver, "points-balance")[0].text == "0 points", role
            assert shown(driver, "points-expiring-none") and shown(driver, "points-history-empty")
            assert any("/points" in url for url in requested), (role, requested)
        else:
            assert not driver.find_elements(By.CSS_SELECTOR, by_testid("card-points")), role
            assert not any("/points" in url for url in requested), (role, requested)
        screenshot(driver, f"pages-{role}")


POINTS_READERS = ("admin", "storefront", "auditor")  # app/api/deps.py POINTS_READER_ROLES


def hash_requests(driver: WebDriver, url: str, route: str, view: str) -> list[str]:
    """Moves the page already loaded to `route` and returns the paths the page fetched until
    `view` was drawn, recorded as it calls fetch (a view asks as it is drawn; an answer
    still on its way counts too)."""
    driver.execute_script(
        "window.requested = [];"
        "if (!window.recordsFetches) {"
        "  window.recordsFetches = true;"
        "  const fetched = window.fetch;"
        "  window.fetch = (resource, init) => {"
        "    window.requested.push(String(resource)); return fetched(resource, init); };"
        "}"
    )
    drawn = driver.find_elements(By.CSS_SELECTOR, "#view > section")
    driver.execute_script("window.location.hash = arguments[0]", route)
    if drawn:  # every render draws a fresh section: wait until the old one is gone
        waiting(driver).until(staleness_of(drawn[0]))
    wait_for(driver, view)
    requested: list[str] | None = driver.execute_script("return window.requested")
    assert requested is not None, "the page was loaded again: fetch is no longer recorded"
    return [full.removeprefix(url) for full in requested]


def card_requests(driver: WebDriver, url: str, member: str) -> list[str]:
    """Opens `member`'s card on the page already loaded and returns the paths the page
    fetched for it."""
    return hash_requests(driver, url, f"#/search/{member}", "member-card")


def test_the_dashboard_is_the_landing_page(driver: WebDriver, site: Site) -> None:
    signed_in(driver, site)
    waiting(driver).until(signed_in_as("admin"))
    driver.get(f"{site.url}/#/")
    wait_for(driver, "view-dashboard")
    [members] = wait_for(driver, "kpi-members")
    assert members.text == "3,000"  # the site's network (tests/web/conftest.py)
    months = wait_for(driver, "month-row", 12)
    assert len(months) == 12 and len(shown(driver, "week-row")) == 12
    joined = sum(
        int(row.find_elements(By.CSS_SELECTOR, "td")[1].text.replace(",", "")) for row in months
    )
    assert joined == 3000  # everyone joined within the last twelve months
    waiting(driver).until(
        lambda d: (
            len(shown(d, "board")) == 5
            and all(board.find_elements(By.CSS_SELECTOR, "h4") for board in shown(d, "board"))
        )
    )
    assert not shown(driver, "problem")
    [table] = driver.find_elements(By.CSS_SELECTOR, ".view-dashboard .downloadable")[:1]
    lines = downloaded_csv(driver, table)
    assert lines[0].startswith("Month,New members,New paid") and len(lines) == 13
    screenshot(driver, "dashboard")


def test_the_chart_draws_the_genealogy_re_roots_and_zooms(
    driver: WebDriver, site: Site, site_store: CypherStore
) -> None:
    signed_in(driver, site)
    waiting(driver).until(signed_in_as("admin"))
    driver.get(f"{site.url}/#/chart/{site.widest}")
    [root] = wait_for(driver, "chart-root")
    assert root.get_attribute("data-member-id") == site.widest
    # Nodes outside the first view are drawn too (a drag away): read them all.
    children = driver.find_elements(By.CSS_SELECTOR, by_testid("chart-member"))
    assert 4 <= len(children) <= 4 + 16
    more = [
        node.get_attribute("textContent")
        for node in driver.find_elements(By.CSS_SELECTOR, by_testid("chart-more"))
    ]
    assert f"+{site.widest_direct - 4:,} more" in more  # her invitees past the first four
    canvas = driver.find_element(By.CSS_SELECTOR, by_testid("chart-canvas"))
    before = canvas.get_dom_attribute("viewBox")
    driver.execute_script(
        "arguments[0].dispatchEvent(new WheelEvent('wheel', {deltaY: -100, clientX: 50,"
        " clientY: 50, bubbles: true, cancelable: true}))",
        canvas,
    )
    assert canvas.get_dom_attribute("viewBox") != before
    screenshot(driver, "chart")
    # A click re-roots on her; the one above her is now upline.
    child = children[0].get_attribute("data-member-id")
    driver.execute_script(
        "arguments[0].dispatchEvent(new MouseEvent('click', {bubbles: true}))", children[0]
    )
    waiting(driver).until(
        lambda d: [n.get_attribute("data-member-id") for n in shown(d, "chart-root")] == [child]
    )
    assert site.widest in [n.get_attribute("data-member-id") for n in shown(driver, "chart-upline")]
    # How she is connected to another of the widest member's invitees: the path drawn as a
    # chain (through their inviter, or a circle they share).
    rows = list(site_store.iter_forest())
    other = next(row.id for row in rows if row.inviter_id == site.widest and row.id != child)
    form_input = wait_for(driver, "path-to")[0]
    form_input.send_keys(other)
    driver.find_element(By.CSS_SELECTOR, by_testid("path-submit")).click()
    waiting(driver).until(lambda d: shown(d, "path-length") or shown(d, "problem"))
    with httpx.Client(
        base_url=site.url, headers={"Authorization": f"Bearer {ROLE_KEYS['admin']}"}
    ) as api:
        answer = api.get("/v1/paths", params={"from": child, "to": other})
    assert answer.status_code == 200, answer.text
    drawn = [
        n.get_attribute("data-member-id") or n.get_attribute("data-group-id")
        for n in driver.find_elements(
            By.CSS_SELECTOR, f"{by_testid('path-member')}, {by_testid('path-circle')}"
        )
    ]
    assert drawn == [node["id"] for node in answer.json()["nodes"]]
    assert shown(driver, "path-length")[0].text == f"{answer.json()['length']} steps"
    screenshot(driver, "chart-path")
    # A deep member's long upline folds into "… n more".
    deep = next(row for row in rows if (row.depth or 0) >= 6)
    driver.get(f"{site.url}/#/chart/{deep.id}")
    [folded] = wait_for(driver, "chart-folded")
    assert folded.text.splitlines()[0] == f"… {(deep.depth or 0) - 3} more"
    assert len(shown(driver, "chart-upline")) == 3


def test_the_tree_date_picker_shows_the_network_as_it_stood(driver: WebDriver, site: Site) -> None:
    root = open_tree(driver, site, site.widest)
    live = root.find_element(By.CSS_SELECTOR, by_testid("counts")).text
    day = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 200 * 86_400))
    pick_tree_date(driver, day)
    [note] = wait_for(driver, "tree-as-of-note")
    assert day in note.text
    then = wait_for(driver, "tree-root")[0].find_element(By.CSS_SELECTOR, by_testid("counts")).text
    as_of = int(time.mktime(time.strptime(day, "%Y-%m-%d")) - time.timezone) * 1000 + 86_400_000 - 1
    with httpx.Client(
        base_url=site.url, headers={"Authorization": f"Bearer {ROLE_KEYS['admin']}"}
    ) as api:
        counts = api.get(
            f"/v1/members/{site.widest}/downline/counts", params={"as_of": as_of}
        ).json()
    assert then == f"{counts['direct_total']:,} direct · {counts['downline_total']:,} in downline"
    assert then != live  # she was still growing then
    screenshot(driver, "tree-as-of")


def test_leaderboards_rank_by_board_and_period(driver: WebDriver, site: Site) -> None:
    signed_in(driver, site)
    waiting(driver).until(signed_in_as("admin"))
    driver.get(f"{site.url}/#/leaderboards")
    wait_for(driver, "board-form")
    Select(wait_for(driver, "board-select")[0]).select_by_value("downline_growth")
    Select(wait_for(driver, "period-select")[0]).select_by_value("all")
    driver.find_element(By.CSS_SELECTOR, by_testid("board-submit")).click()
    waiting(driver).until(
        lambda d: (
            [t.get_attribute("data-board") for t in shown(d, "board-table")] == ["downline_growth"]
        )
    )
    rows = shown(driver, "board-row")
    values = [
        int(row.find_element(By.CSS_SELECTOR, by_testid("board-value")).text.replace(",", ""))
        for row in rows
    ]
    assert values == sorted(values, reverse=True) and len(rows) == 100
    assert values[0] >= site.widest_direct  # the top holds at least the widest one's invitees
    [table] = driver.find_elements(By.CSS_SELECTOR, ".view-leaderboards .downloadable")
    assert len(downloaded_csv(driver, table)) == 101
    screenshot(driver, "leaderboards")


def test_the_sharers_board_shows_money_in_its_currency(driver: WebDriver, site: Site) -> None:
    signed_in(driver, site)
    waiting(driver).until(signed_in_as("admin"))
    driver.get(f"{site.url}/#/leaderboards")
    wait_for(driver, "board-form")
    [currency] = driver.find_elements(By.CSS_SELECTOR, by_testid("board-currency"))
    assert not currency.is_displayed()  # the counting boards take no currency
    Select(wait_for(driver, "board-select")[0]).select_by_value("sharers")
    Select(wait_for(driver, "period-select")[0]).select_by_value("all")
    assert currency.is_displayed()
    driver.find_element(By.CSS_SELECTOR, by_testid("board-submit")).click()
    waiting(driver).until(
        lambda d: [t.get_attribute("data-board") for t in shown(d, "board-table")] == ["sharers"]
    )
    with httpx.Client(
        base_url=site.url, headers={"Authorization": f"Bearer {ROLE_KEYS['admin']}"}
    ) as api:
        board = api.get("/v1/leaderboards/sharers", params={"period": "all", "limit": 100}).json()
    assert board["currency"] == "CNY" and board["items"]  # the demo ledger sells in CNY
    cells = [row.find_element(By.CSS_SELECTOR, by_testid("board-value"))
             for row in shown(driver, "board-row")]  # fmt: skip
    assert [cell.get_attribute("title") for cell in cells] == [
        f"{item['value']} minor units" for item in board["items"]
    ]
    first = board["items"][0]["value"]
    assert cells[0].text == f"{first // 100:,}.{first % 100:02d} CNY"
    # A currency nobody sold in: an empty board, said so.
    currency.send_keys("usd")
    driver.find_element(By.CSS_SELECTOR, by_testid("board-submit")).click()
    wait_for(driver, "board-empty")
    assert "net sales in USD" in shown(driver, "board-period")[0].text
    screenshot(driver, "leaderboards-sharers")


def test_the_date_picker_before_a_sponsor_move_shows_the_old_sponsor(
    driver: WebDriver, site: Site
) -> None:
    """An admin moves a member to another sponsor; her tree's breadcrumb (her upline) shows
    the new sponsor today, and the old one at a date a month before the move."""
    headers = {"Authorization": f"Bearer {ROLE_KEYS['admin']}"}
    with httpx.Client(base_url=site.url, headers=headers) as api:
        oldest = api.get("/v1/members", params={"sort": "joined_at", "limit": 500}).json()["items"]

        def away_from_widest(member_id: str) -> bool:
            upline = api.get(f"/v1/members/{member_id}/upline").json()["path"]
            return member_id != site.widest and site.widest not in upline

        # Far from the widest member, whose counts the other tests read.
        sponsor = next(
            m["id"] for m in oldest if m["inviter_id"] is None and away_from_widest(m["id"])
        )
        moved = None
        for hit in oldest:
            leaf = hit["downline_total"] == 0 and hit["inviter_id"] not in (None, sponsor)
            if not leaf or not away_from_widest(hit["id"]):
                continue
            body = {
                "change_id": f"web-move-{hit['id']}",
                "inviter_id": sponsor,
                "reason": "wrong link",
            }
            if api.post(f"/v1/members/{hit['id']}/sponsor", json=body).status_code == 200:
                moved = hit
                break
        assert moved is not None, "a member could be moved"
    root = open_tree(driver, site, moved["id"])
    assert root is not None
    waiting(driver).until(
        lambda d: wait_for(d, "crumb")[-1].get_attribute("data-member-id") == sponsor
    )
    day = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 31 * 86_400))
    pick_tree_date(driver, day)
    wait_for(driver, "tree-as-of-note")
    waiting(driver).until(
        lambda d: wait_for(d, "crumb")[-1].get_attribute("data-member-id") == moved["inviter_id"]
    )
    screenshot(driver, "tree-before-sponsor-move")


def test_a_payout_batch_walks_from_draft_to_paid(
    driver: WebDriver, site: Site, site_store: CypherStore
) -> None:
    # A minimum the three largest available balances reach, so the batch stays small.
    now = int(time.time() * 1000)
    sums = sorted(
        (
            sum(amount for _, amount in c.entries)
            for c in site_store.payout_candidates("CNY", now, now)
        ),
        reverse=True,
    )
    assert len(sums) >= 3 and sums[2] > 0, "the demo ledger leaves money available"
    signed_in(driver, site)
    waiting(driver).until(
        lambda d: (
            "signed in as admin" in d.find_element(By.CSS_SELECTOR, by_testid("key-status")).text
        )
    )
    driver.get(f"{site.url}/#/payouts")
    [form] = wait_for(driver, "payout-form")
    form.find_element(By.CSS_SELECTOR, by_testid("payout-id")).send_keys("web-batch")
    minimum = form.find_element(By.CSS_SELECTOR, by_testid("payout-minimum"))
    minimum.clear()
    minimum.send_keys(str(sums[2]))
    form.find_element(By.CSS_SELECTOR, by_testid("payout-draft")).click()

    def status_is(status: str) -> Callable[[WebDriver], bool]:
        return lambda d: any(
            meta.get_attribute("data-status") == status for meta in shown(d, "payout-meta")
        )

    waiting(driver).until(status_is("draft"))
    items = wait_for(driver, "payout-item")
    assert len(items) >= 3 and all(i.get_attribute("data-status") == "open" for i in items)
    wait_for(driver, "payout-approve")[0].click()
    waiting(driver).until(status_is("approved"))
    wait_for(driver, "payout-export")[0].click()
    waiting(driver).until(status_is("exported"))
    exported = unquote(
        driver.find_element(By.CSS_SELECTOR, by_testid("payout-export-file")).get_attribute("href")
        or ""
    )
    assert "member_id,name,amount,currency,reference" in exported
    members = [str(i.get_attribute("data-member-id")) for i in wait_for(driver, "payout-item")]

    def item_row(member: str, status: str) -> Callable[[WebDriver], WebElement | None]:
        def find(d: WebDriver) -> WebElement | None:
            rows = wait_for(d, "payout-item")
            return next(
                (
                    r
                    for r in rows
                    if r.get_attribute("data-member-id") == member
                    and r.get_attribute("data-status") == status
                ),
                None,
            )

        return find

    for k, member in enumerate(members):
        row = waiting(driver).until(item_row(member, "open"))
        assert row is not None
        row.find_element(By.CSS_SELECTOR, by_testid("item-reference")).send_keys(f"BANK-{k}")
        row.find_element(By.CSS_SELECTOR, by_testid("item-paid")).click()
        waiting(driver).until(item_row(member, "paid"))
    waiting(driver).until(status_is("settled"))
    screenshot(driver, "payout-settled")
    headers = {"Authorization": f"Bearer {ROLE_KEYS['auditor']}"}
    batch = httpx.get(f"{site.url}/v1/payouts/web-batch", headers=headers).json()
    assert [(i["member_id"], i["status"], i["reference"]) for i in batch["items"]] == [
        (m, "paid", f"BANK-{k}") for k, m in enumerate(members)
    ]
    # Her statement shows the payout line that took her balance out.
    first = batch["items"][0]
    driver.get(f"{site.url}/#/statement/{first['member_id']}")
    waiting(driver).until(
        lambda d: any(
            line.get_attribute("data-kind") == "payout"
            and line.get_attribute("data-amount") == str(-first["amount"])
            for line in wait_for(d, "statement-line")
        )
    )
    screenshot(driver, "statement")


# The points card's site: a store of its own on a clock the test sets, so the hand-computed
# balance, expiry and history below hold whatever the day the suite runs.
POINTS_NOW = "2027-01-20T00:00:00Z"
POINTS_PLAN = {
    **json.loads((ROOT / "examples" / "seed-plan.json").read_text()),
    "version": "points-2025-12",
    "effective_from": "2025-12-01T00:00:00Z",
    "points": {
        "earn": {"points": 1, "per": 100},  # a point per yuan (100 fen)
        "grants": {"claim_member_card": 100, "bind_phone": 200},
        "redemption": {"points": 100, "value": 100},  # 100 points = a 1-yuan voucher
        "expiry_years": 1,
    },
}


def points_steps() -> list[tuple[str, str, str, dict[str, object]]]:
    """Ann's points history as the API's writes, each with its moment: (moment, method,
    path, body). Twelve entries, of which the card shows the latest ten."""

    def order(day: str, order_id: str, amount: int) -> tuple[str, str, str, dict[str, object]]:
        body = {"id": order_id, "buyer_id": "ann", "amount": amount, "currency": "CNY",
                "placed_at": f"{day}T10:00:00Z"}  # fmt: skip
        return (day, "POST", "/v1/orders", body)

    grants, redemptions = "/v1/members/ann/points/grants", "/v1/members/ann/points/redemptions"
    voucher = {"id": "x1", "points": 500, "for": "500 points voucher"}
    return [
        ("2025-12-01", "PUT", f"/v1/plans/{POINTS_PLAN['version']}", POINTS_PLAN),
        ("2025-12-15", "POST", "/v1/members",
         {"id": "ann", "name": "Ann", "inviter_id": None, "joined_at": "2025-12-15T10:00:00Z"}),
        order("2026-01-05", "o1", 50_000),
        ("2026-01-20", "POST", grants, {"action": "bind_phone", "id": "g1"}),
        order("2026-02-10", "o2", 12_345),
        order("2026-03-05", "o3", 30_000),
        order("2026-04-02", "o4", 9_999),
        order("2026-05-02", "o5", 20_000),
        ("2026-06-01", "POST", redemptions, voucher),
        order("2026-07-15", "o6", 45_000),
        ("2026-08-01", "POST", "/v1/orders/o6/refunds",
         {"id": "r1", "amount": 15_000, "refunded_at": "2026-08-01T10:00:00Z"}),
        order("2026-09-09", "o7", 8_800),
        ("2026-10-10", "POST", grants, {"action": "claim_member_card", "id": "g2"}),
        order("2026-11-11", "o8", 111_100),
    ]  # fmt: skip


@pytest.fixture(scope="module")
def points_site(request: pytest.FixtureRequest, site: Site) -> Iterator[Site]:
    """A store of its own holding Ann's points, each written at its moment (the service's
    clock set to it), then served at POINTS_NOW. (After `site`: its browser check.)"""
    store = open_test_store(request, Backend.FALKORDB)
    clock = {"now": 0}
    try:
        with serving(store, now=lambda: clock["now"]) as url:
            with httpx.Client(base_url=url, headers=auth("admin")) as http:
                for day, method, path, body in points_steps():
                    clock["now"] = iso_epoch_ms(f"{day}T10:00:00Z")
                    answer = http.request(method, path, json=body)
                    assert answer.status_code == 201, (path, answer.text)
            clock["now"] = iso_epoch_ms(POINTS_NOW)
            yield Site(url, "ann", 0)
    finally:
        drop_test_store(store)


def test_the_member_card_shows_her_points(driver: WebDriver, points_site: Site) -> None:
    # At 2027-01-20, each order earning a point per yuan (floored) in its month's lot, each
    # lot gone at the end of the same month a year on, spent and taken back oldest first:
    #   2026-01-05 o1 500.00 yuan        +500   January's lot 500
    #   2026-01-20 bind_phone grant      +200   January's lot 700
    #   2026-02-10 o2 123.45 yuan        +123   February 123
    #   2026-03-05 o3 300.00 yuan        +300   March 300
    #   2026-04-02 o4 99.99 yuan          +99   April 99
    #   2026-05-02 o5 200.00 yuan        +200   May 200
    #   2026-06-01 redeems 500 (5.00)    -500   from January: 700 → 200
    #   2026-07-15 o6 450.00 yuan        +450   July 450
    #   2026-08-01 refund r1 of o6, 150.00 of 450.00: floor(450 * 15,000 / 45,000) = 150
    #                                    -150   from January: 200 → 50
    #   2026-09-09 o7 88.00 yuan          +88   September 88
    #   2026-10-10 claim_member_card     +100   October 100
    #   2026-11-11 o8 1,111.00 yuan    +1,111   November 1,111
    # Balance: earned 500+123+300+99+200+450+88+1,111 = 2,871, granted 300, redeemed 500,
    # taken back 150, none expired yet: 2,871 + 300 - 500 - 150 = 2,521 (the lots: 50 + 123
    # + 300 + 99 + 200 + 450 + 88 + 100 + 1,111). Within 30 days (by 2027-02-19) only
    # January's 50 expire, gone from 2027-02-01: they last to the end of 2027-01-31.
    signed_in(driver, points_site, key=ROLE_KEYS["storefront"])
    waiting(driver).until(signed_in_as("storefront"))
    driver.get(f"{points_site.url}/#/search/ann")
    [balance] = wait_for(driver, "points-balance")
    assert (balance.text, balance.get_attribute("data-points")) == ("2,521 points", "2521")
    assert [
        (lot.text, lot.get_attribute("data-points"), lot.get_attribute("data-expires-at"))
        for lot in shown(driver, "points-expiring-lot")
    ] == [
        (
            "50 points expire at the end of 2027-01-31 (UTC)",
            "50",
            str(iso_epoch_ms("2027-02-01T00:00:00Z")),
        )
    ]
    # The latest ten of her twelve entries, newest first: o1's earn and the phone grant are
    # older than all of them.
    rows = [
        tuple(cell.text for cell in row.find_elements(By.TAG_NAME, "td"))
        for row in shown(driver, "points-entry")
    ]
    assert rows == [
        ("2026-11-11 10:00 UTC", "earned", "+1,111", "o8"),
        ("2026-10-10 10:00 UTC", "granted", "+100", "claim_member_card"),
        ("2026-09-09 10:00 UTC", "earned", "+88", "o7"),
        ("2026-08-01 10:00 UTC", "taken back", "-150", "o6, refund r1"),
        ("2026-07-15 10:00 UTC", "earned", "+450", "o6"),
        ("2026-06-01 10:00 UTC", "redeemed", "-500", "500 points voucher (5.00 CNY)"),
        ("2026-05-02 10:00 UTC", "earned", "+200", "o5"),
        ("2026-04-02 10:00 UTC", "earned", "+99", "o4"),
        ("2026-03-05 10:00 UTC", "earned", "+300", "o3"),
        ("2026-02-10 10:00 UTC", "earned", "+123", "o2"),
    ]
    screenshot(driver, "member-card-points")
    # The growth team reads members but not their points: her card has no points section.
    signed_in(driver, points_site, key=ROLE_KEYS["growth"])
    waiting(driver).until(signed_in_as("growth"))
    requested = card_requests(driver, points_site.url, "ann")
    assert not driver.find_elements(By.CSS_SELECTOR, by_testid("card-points"))
    assert not any("/points" in path for path in requested), requested


# The webhook worker as the test drives it: every event sent as soon as written, a refused
# one retried after a millisecond or two (tests/api/routes/test_webhooks.py); GIVE_UP after
# ~30 ms of refusals, so a delivery fails for good within the test.
QUICK = WorkerSettings(
    schedule=RetrySchedule(base_ms=1, cap_ms=4, give_up_after_ms=60_000),
    timeout_s=10,
    settle_ms=0,
    concurrency=4,
)
GIVE_UP = QUICK._replace(schedule=RetrySchedule(base_ms=1, cap_ms=2, give_up_after_ms=30))
WEBHOOK_PAGE = 20  # the deliveries the view lists before "More" (views/webhooks.js PAGE)


def deliver(store: CypherStore, settings: WorkerSettings) -> None:
    """One worker's rounds, as the server's would run them, until nothing is left to do."""
    worker = WebhookWorker(store, settings)
    try:
        worker.run_until_idle(budget_s=30)
    finally:
        worker.close()


def delivery_rows(driver: WebDriver) -> list[WebElement]:
    return shown(driver, "delivery-row")


def row_of(driver: WebDriver, event_id: str, state: str) -> WebElement | None:
    return next(
        (
            row
            for row in delivery_rows(driver)
            if row.get_attribute("data-event-id") == event_id
            and row.get_attribute("data-state") == state
        ),
        None,
    )


def answers(row: WebElement) -> list[str]:
    """The status codes of a delivery's attempts as its row lists them (newest first)."""
    attempts = row.find_elements(By.CSS_SELECTOR, by_testid("delivery-attempt"))
    return [str(attempt.get_attribute("data-status-code")) for attempt in attempts]


def test_an_admin_registers_a_webhook_and_follows_its_deliveries(
    driver: WebDriver, site: Site, site_store: CypherStore
) -> None:
    signed_in(driver, site)
    waiting(driver).until(signed_in_as("admin"))
    driver.get(f"{site.url}/#/webhooks")
    [form] = wait_for(driver, "webhook-form")
    boxes = form.find_elements(By.CSS_SELECTOR, by_testid("webhook-event"))
    assert [box.get_attribute("value") for box in boxes][:2] == [
        "member.registered", "member.sponsor_changed",
    ]  # fmt: skip
    with receiving() as receiver, httpx.Client(base_url=site.url, headers=auth("admin")) as http:
        # A URL the API refuses: its detail is shown by the form, and nothing is registered.
        url = form.find_element(By.CSS_SELECTOR, by_testid("webhook-url"))
        url.send_keys("ftp://files.example.com/hooks")
        boxes[0].click()  # member.registered
        form.find_element(By.CSS_SELECTOR, by_testid("webhook-create")).click()
        [problem] = wait_for(driver, "problem-detail")
        assert "not an http(s) URL" in problem.text, problem.text
        assert form.find_element(By.CSS_SELECTOR, by_testid("problem")).is_displayed()
        assert not shown(driver, "webhook-secret") and http.get("/v1/webhooks").json() == []

        # Registered: the secret is shown right away, once, saying so.
        url.clear()
        url.send_keys(receiver.url)
        form.find_element(By.CSS_SELECTOR, by_testid("webhook-id")).send_keys("web-hooks")
        form.find_element(By.CSS_SELECTOR, by_testid("webhook-description")).send_keys("CRM")
        form.find_element(By.CSS_SELECTOR, by_testid("webhook-create")).click()
        [field] = wait_for(driver, "webhook-secret")
        secret = str(field.get_attribute("value"))
        assert secret.startswith("whsec_") and field.get_attribute("readonly") is not None
        [warning] = wait_for(driver, "webhook-secret-warning")
        assert "will not be shown again" in warning.text
        assert not shown(driver, "problem")
        receiver.secret = secret
        waiting(driver).until(
            lambda d: (
                [
                    (r.get_attribute("data-webhook-id"), r.get_attribute("data-status"))
                    for r in shown(d, "webhook-row")
                ]
                == [("web-hooks", "active")]
            )
        )
        screenshot(driver, "webhook-secret")
        # The view again, and the page loaded again: the endpoint, never its secret.
        driver.execute_script("window.location.hash = '#/dashboard'")
        wait_for(driver, "view-dashboard")
        driver.execute_script("window.location.hash = '#/webhooks'")
        wait_for(driver, "webhook-row")
        assert not driver.find_elements(By.CSS_SELECTOR, by_testid("webhook-secret"))
        driver.refresh()
        wait_for(driver, "webhook-row")
        assert not driver.find_elements(By.CSS_SELECTOR, by_testid("webhook-secret"))
        assert secret not in driver.page_source

        # Members registered (one more than a page), the worker's rounds: each delivered.
        now = int(time.time() * 1000)
        members = [f"hook-{k:02}" for k in range(WEBHOOK_PAGE + 1)]
        for member in members:
            body = {"id": member, "name": member, "inviter_id": None, "joined_at": now}
            assert http.post("/v1/members", json=body).status_code == 201
        deliver(site_store, QUICK)
        assert receiver.forged == []
        arrived = {a.webhook_id: a.body["data"]["member_id"] for a in receiver.delivered()}
        assert sorted(arrived.values()) == members

        wait_for(driver, "webhook-open")[0].click()
        [counts] = wait_for(driver, "webhook-counts")
        assert counts.text == f"0 pending · {len(members)} delivered · 0 failed"
        waiting(driver).until(lambda d: len(delivery_rows(d)) == WEBHOOK_PAGE)
        wait_for(driver, "deliveries-more")[0].click()
        waiting(driver).until(lambda d: len(delivery_rows(d)) == len(members))
        assert not shown(driver, "deliveries-more")
        rows = delivery_rows(driver)
        assert {
            str(row.get_attribute("data-event-id")): row.get_attribute("data-member-id")
            for row in rows
        } == arrived
        for row in rows:
            assert (row.get_attribute("data-state"), row.get_attribute("data-attempts")) == (
                "delivered", "1",
            )  # fmt: skip
            assert answers(row) == ["200"]
            assert (
                "HTTP 200" in row.find_element(By.CSS_SELECTOR, by_testid("delivery-attempt")).text
            )
            assert row.find_elements(By.CSS_SELECTOR, by_testid("delivery-resend"))
        screenshot(driver, "webhook-deliveries")

        # A receiver that answers 500 until the worker gives up: the delivery failed.
        receiver.fail_first = 10_000
        body = {"id": "hook-late", "name": "late", "inviter_id": None, "joined_at": now}
        assert http.post("/v1/members", json=body).status_code == 201
        deliver(site_store, GIVE_UP)
        Select(wait_for(driver, "deliveries-state")[0]).select_by_value("failed")
        waiting(driver).until(
            lambda d: [r.get_attribute("data-member-id") for r in delivery_rows(d)] == ["hook-late"]
        )
        [failed] = delivery_rows(driver)
        event_id = str(failed.get_attribute("data-event-id"))
        tries = int(str(failed.get_attribute("data-attempts")))
        assert failed.get_attribute("data-state") == "failed" and tries >= 1
        assert set(answers(failed)) == {"500"} and len(answers(failed)) == min(tries, 30)
        errors = failed.find_elements(By.CSS_SELECTOR, by_testid("attempt-error"))
        assert len(errors) == len(answers(failed))
        assert all("HTTP 500: busy" in str(e.get_attribute("textContent")) for e in errors)
        # The latest three are listed; the older ones fold away.
        assert len(shown(failed, "delivery-attempt")) == min(tries, 3)
        assert bool(failed.find_elements(By.CSS_SELECTOR, by_testid("earlier-attempts"))) == (
            tries > 3
        )
        waiting(driver).until(
            lambda d: (
                d.find_element(By.CSS_SELECTOR, by_testid("webhook-counts")).text
                == f"0 pending · {len(members)} delivered · 1 failed"
            )
        )
        screenshot(driver, "webhook-failed")

        # Sent again: pending at once, then delivered by the next round, same webhook-id.
        failed.find_element(By.CSS_SELECTOR, by_testid("delivery-resend")).click()
        waiting(driver).until(lambda d: row_of(d, event_id, "pending") is not None)
        pending = row_of(driver, event_id, "pending")
        assert pending is not None
        assert not pending.find_elements(By.CSS_SELECTOR, by_testid("delivery-resend"))
        receiver.fail_first = 0
        deliver(site_store, QUICK)
        assert [a.webhook_id for a in receiver.delivered()][-1] == event_id
        Select(wait_for(driver, "deliveries-state")[0]).select_by_value("delivered")
        waiting(driver).until(lambda d: row_of(d, event_id, "delivered") is not None)
        delivered = row_of(driver, event_id, "delivered")
        assert delivered is not None
        assert int(str(delivered.get_attribute("data-attempts"))) == tries + 1
        assert answers(delivered)[0] == "200" and set(answers(delivered)[1:]) == {"500"}
        waiting(driver).until(
            lambda d: (
                d.find_element(By.CSS_SELECTOR, by_testid("webhook-counts")).text
                == f"0 pending · {len(members) + 1} delivered · 0 failed"
            )
        )
        wait_for(driver, "deliveries-refresh")[0].click()
        Select(wait_for(driver, "deliveries-state")[0]).select_by_value("failed")
        wait_for(driver, "deliveries-empty")

        # Disabled after a confirmation (declined once): nothing more is sent to it.
        driver.execute_script("window.location.hash = '#/webhooks'")
        wait_for(driver, "webhook-disable")[0].click()
        waiting(driver).until(alert_is_present()).dismiss()
        assert http.get("/v1/webhooks/web-hooks").json()["status"] == "active"
        wait_for(driver, "webhook-disable")[0].click()
        waiting(driver).until(alert_is_present()).accept()
        waiting(driver).until(
            lambda d: (
                [r.get_attribute("data-status") for r in shown(d, "webhook-row")] == ["disabled"]
            )
        )
        assert not shown(driver, "webhook-disable")
        screenshot(driver, "webhook-disabled")
