"""The vendored page libraries are the published packages' own files, unchanged."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.engines import ROOT

VENDOR = ROOT / "app" / "web" / "static" / "vendor" / "d3-hierarchy"
PUBLISHED = ROOT / "node_modules" / "d3-hierarchy"


def test_d3_hierarchy_is_the_pinned_release_unchanged() -> None:
    if not PUBLISHED.exists():
        message = "node_modules/d3-hierarchy is not installed (scripts/test runs npm ci)"
        # CI holds the pages' checks to run (.ci/run), as it does the browser tests.
        if os.environ.get("REFGRAPH_REQUIRE_BROWSER") == "1":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    pinned = json.loads((ROOT / "package.json").read_text())["devDependencies"]["d3-hierarchy"]
    assert json.loads((PUBLISHED / "package.json").read_text())["version"] == pinned
    files = sorted(path.relative_to(VENDOR) for path in VENDOR.rglob("*.js"))
    assert Path("tree.js") in files and Path("hierarchy/index.js") in files
    for relative in files:
        assert (VENDOR / relative).read_bytes() == (PUBLISHED / "src" / relative).read_bytes()
    assert (VENDOR / "LICENSE").read_bytes() == (PUBLISHED / "LICENSE").read_bytes()
