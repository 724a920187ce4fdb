"""The queries and migrations ship inside the package and are read through
importlib.resources: an installed service finds its own, wherever it runs from, and the
loaders read any resource container, not only a folder on disk."""

from __future__ import annotations

import zipfile
from importlib.resources import files
from pathlib import Path

import pytest

from app.core.config import Settings, packaged
from app.store.catalogue import Backend, QueryCatalogue
from app.store.migrations import migrations_for
from tests.engines import ROOT


def contents(folder: Path, *patterns: str) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): path.read_text()
        for pattern in patterns
        for path in folder.glob(pattern)
    }


def test_the_settings_default_to_the_packaged_files_which_are_the_project_folders() -> None:
    settings = Settings(api_keys={})
    package = Path(str(files("app")))
    assert settings.cypher_dir == package / "_resources" / "cypher"
    assert settings.migrations_dir == package / "_resources" / "migrations"
    assert contents(settings.cypher_dir, "*.cypher", "*/*.cypher") == contents(
        ROOT / "cypher", "*.cypher", "*/*.cypher"
    )
    assert contents(settings.migrations_dir, "*/*") == contents(ROOT / "migrations", "*/*")
    assert packaged("seed-plan.json").read_text() == (ROOT / "examples/seed-plan.json").read_text()


@pytest.mark.parametrize("backend", list(Backend))
def test_the_packaged_catalogue_and_migrations_load_for_each_backend(backend: Backend) -> None:
    catalogue = QueryCatalogue(packaged("cypher"), backend)
    queries = [*ROOT.glob("cypher/*.cypher"), *ROOT.glob(f"cypher/{backend.value}/*.cypher")]
    assert catalogue.names() == sorted({path.stem for path in queries})
    names = [migration.name for migration in migrations_for(packaged("migrations"), backend)]
    on_disk = sorted(path.stem for path in (ROOT / "migrations" / backend.value).iterdir())
    assert names == on_disk


def test_queries_and_migrations_load_from_any_resource_container(tmp_path: Path) -> None:
    """A zip stands for a package that is not a folder on disk (zipapp, zipimport)."""
    archive = tmp_path / "resources.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("cypher/ping.cypher", "RETURN 1 AS ok")
        out.writestr("cypher/upline.cypher", "// shared\nRETURN 2")
        out.writestr("cypher/falkordb/upline.cypher", "// FalkorDB's own\nRETURN 3")
        out.writestr("cypher/README.md", "not a query")
        out.writestr("migrations/falkordb/002_unique.constraint", "UNIQUE NODE Member id")
        out.writestr("migrations/falkordb/001_index.cypher", "CREATE INDEX FOR (m:M) ON (m.id)")
        out.writestr("migrations/neo4j/001_unique.cypher", "CREATE CONSTRAINT x;\nRETURN 1")
    root = zipfile.Path(archive)

    falkordb = QueryCatalogue(root / "cypher", Backend.FALKORDB)
    assert falkordb.names() == ["ping", "upline"]
    assert falkordb["upline"].startswith("// FalkorDB's own")
    assert QueryCatalogue(root / "cypher", Backend.NEO4J)["upline"].startswith("// shared")

    found = migrations_for(root / "migrations", Backend.FALKORDB)
    assert [(m.name, m.kind) for m in found] == [
        ("001_index", "cypher"),
        ("002_unique", "constraint"),
    ]
    assert migrations_for(root / "migrations", Backend.NEO4J)[0].statements() == [
        "CREATE CONSTRAINT x",
        "RETURN 1",
    ]


def test_a_missing_folder_fails_fast_naming_it(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="catalogue folder"):
        QueryCatalogue(tmp_path / "nowhere", Backend.NEO4J)
    with pytest.raises(FileNotFoundError, match="migrations folder"):
        migrations_for(tmp_path, Backend.NEO4J)
