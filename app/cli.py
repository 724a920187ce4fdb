"""`refgraph`: serve, migrate, import, generate, verify, bench; plan load/check/list, audit,
release; backup, restore."""

from __future__ import annotations

import contextlib
import json
import os
import runpy
import secrets
import sys
import tempfile
import time
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from app.api.main import create_app
from app.core.config import PROJECT_ROOT, ROLES, Settings, load_settings, packaged
from app.core.errors import InvalidInput, RefgraphError
from app.core.logs import configure_logging
from app.core.validation import validation_lines
from app.domain.plans import Plan
from app.domain.units import iso_moment
from app.services.audit import audit_ledger
from app.services.connectors import run_connectors
from app.services.demo import load_demo
from app.services.generator import generate_network
from app.services.group_importer import import_groups
from app.services.importer import ImportReport, import_members
from app.services.initial_load import initial_load_neo4j, initial_load_statements
from app.services.orders import release_due_entries
from app.services.plans import check_plan, list_plans, load_plan
from app.services.repairs import run_startup_repairs
from app.services.signals import run_signals
from app.services.verify import verify_sample, verify_store
from app.store.backup import BackupRefused, backup_embedded, restore_embedded
from app.store.catalogue import Backend
from app.store.factory import backend_of, open_store
from app.store.migrations import apply_migrations
from app.store.port import GraphStore

cli = typer.Typer(help="Referral Graph: a community's referral network as a property graph.")
plan_cli = typer.Typer(help="Commission plan versions: check, load, list.")
cli.add_typer(plan_cli, name="plan")
console = Console(stderr=True)
# The demo's size: ~3.5 orders a member, and posting the orders is most of its load time.
DEMO_MEMBERS = 3000
DEMO_SEED = 7
# Where `serve --demo` keeps the keys it made: inside an embedded data folder, else (a graph
# on a server) in the folder the command runs from.
DEMO_KEYS_IN_DATA = "demo-keys.json"
DEMO_KEYS_HERE = ".refgraph-demo-keys.json"
NO_KEYS = (
    "REFGRAPH_API_KEYS is not set, so the API would refuse every request (401). Set it to "
    'key=role pairs, e.g. REFGRAPH_API_KEYS="$(openssl rand -hex 24)=admin,'
    '$(openssl rand -hex 24)=storefront" (roles: admin, storefront, growth, auditor), or '
    "api_keys in the file named by REFGRAPH_CONFIG_FILE; `refgraph serve --demo` makes demo "
    "keys of its own."
)


@cli.command()
def serve(
    demo: Annotated[
        bool, typer.Option(help="Load a generated demo network and print demo keys")
    ] = False,
    host: Annotated[str | None, typer.Option(help="Interface to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on")] = None,
) -> None:
    """Run the HTTP API (migrating the graph first). Needs REFGRAPH_API_KEYS, except with
    --demo, which uses demo keys kept beside the data (the same ones at every start)."""
    settings = load_settings()
    if not settings.api_keys and not demo:
        # Not wrapped to the terminal: the example must stay one line to copy.
        console.print(f"[red]error:[/red] {NO_KEYS}", soft_wrap=True, highlight=False)
        raise typer.Exit(1)
    store = open_store(settings, exclusive=True)
    try:
        if demo:
            made: dict[str, str] = {}
            if not settings.api_keys:
                made = demo_keys(demo_keys_file(settings))
                settings = settings.model_copy(update={"api_keys": made})
            _load_demo(settings, store)
            if not made:  # an operator's own keys are not echoed to the terminal
                console.print("demo: using the keys from REFGRAPH_API_KEYS")
            else:
                console.print(f"demo keys, kept in {demo_keys_file(settings)}:")
                for key, role in made.items():
                    console.print(f"[bold]{role:<10}[/bold] Authorization: Bearer {key}")
        app = create_app(settings, store=store, owns_store=True)
    except BaseException:
        store.close()
        raise
    configure_logging(settings.log_format)
    # Its own access line per request (app/api/middleware.py: route template, status, time,
    # request id), not uvicorn's: that one shows the path and query of every call.
    uvicorn.run(
        app,
        host=host or settings.host,
        port=port or settings.port,
        log_level="info",
        log_config=None,
        access_log=False,
    )


@cli.command()
def migrate() -> None:
    """Apply the schema migrations not yet applied (also done at every start)."""
    settings = load_settings()
    store = open_store(settings, migrate=False)
    try:
        applied = apply_migrations(store, settings.migrations_dir)
        console.print(f"applied: {', '.join(applied) if applied else 'nothing (up to date)'}")
    finally:
        store.close()


@cli.command()
def verify(
    sample: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Check this many members drawn at random, each by a walk of the graph, "
            "instead of recounting every member (for graphs too large to load whole)",
        ),
    ] = None,
) -> None:
    """Recount every counter by traversal, check the forest, join times and group totals;
    exit 1 on any mismatch. Also runs the repairs the service runs at start: writes any
    paid-trigger referral bonus a crash left missing (idempotent)."""
    settings = load_settings()
    store = open_store(settings)
    try:
        report = (
            verify_store(store=store, ladder=settings.tier_ladder)
            if sample is None
            else verify_sample(store=store, ladder=settings.tier_ladder, size=sample)
        )
        repaired = run_startup_repairs(store=store, ladder=settings.tier_ladder, now=_now())
    finally:
        store.close()
    if repaired.paid_bonuses_written:
        console.print(
            f"{repaired.paid_bonuses_written} missing paid-trigger referral bonuses written"
        )
    for problem in report.problems:
        typer.echo(problem)
    console.print(f"{report.members_checked} members checked, {len(report.problems)} problems")
    raise typer.Exit(0 if report.ok else 1)


@cli.command()
def generate(
    members: Annotated[int, typer.Option(min=1, help="How many members")],
    out: Annotated[Path, typer.Option(help="CSV file to write")],
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same network)")] = 7,
) -> None:
    """Write a synthetic network shaped like a real community, in the import format."""
    stats = generate_network(members=members, out=out, seed=seed)
    console.print(stats.model_dump_json(indent=2))


@cli.command(name="import")
def import_file(
    source: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV or JSONL file")],
    batch_size: Annotated[int, typer.Option(min=1, max=50_000)] = 5000,
    initial: Annotated[
        bool,
        typer.Option(
            help="First load into an EMPTY graph: Neo4j's offline importer (stops, loads and "
            "restarts the scripts/neo4j-local server), or large FalkorDB statements"
        ),
    ] = False,
    neo4j_home: Annotated[
        Path | None,
        typer.Option(help="With --initial on Neo4j: the scripts/neo4j-local server home"),
    ] = None,
) -> None:
    """Import members (CSV header id,inviter_id,joined_at,paid_at,name, or JSONL). Re-running
    skips rows already imported; rows that break an invariant are reported by line."""
    settings = load_settings()
    if initial:
        report = _initial_load(settings, source, neo4j_home)
    else:
        store = open_store(settings)
        try:
            report = _import_with_progress(settings, store, source, batch_size)
        finally:
            store.close()
    for problem in report.problems:
        typer.echo(f"line {problem.line}: {problem.id or '-'}: {problem.reason}")
    console.print(
        f"{report.rows_read} rows: {report.created} created, {report.skipped} already there, "
        f"{report.marked_paid} marked paid, {len(report.problems)} problems"
    )
    raise typer.Exit(0 if not report.problems else 2)


def _initial_load(settings: Settings, source: Path, neo4j_home: Path | None) -> ImportReport:
    if backend_of(settings.graph_url) is Backend.FALKORDB:
        store = open_store(settings)
        try:
            loaded = initial_load_statements(
                store=store, ladder=settings.tier_ladder, source=source
            )
        finally:
            store.close()
    else:
        loaded = initial_load_neo4j(
            ladder=settings.tier_ladder,
            source=source,
            open_store=lambda: open_store(settings, migrate=False),
            neo4j_local=PROJECT_ROOT / "scripts" / "neo4j-local",
            neo4j_home=neo4j_home,
            migrate=lambda store: apply_migrations(store, settings.migrations_dir),
        )
    console.print(
        f"initial load: {loaded.members} members, {loaded.tier_changes} tier changes; "
        f"planned in {loaded.plan_s}s, loaded in {loaded.load_s}s, migrated in {loaded.migrate_s}s"
    )
    return loaded.import_report


@cli.command(name="import-groups")
def import_groups_file(
    source: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV file")],
    batch_size: Annotated[int, typer.Option(min=1, max=50_000)] = 5000,
) -> None:
    """Import group memberships (CSV header group_id,kind,name,member_id; an empty member_id
    only creates the group). Re-running adds nothing new; problems are reported by line."""
    store = open_store(load_settings())
    try:
        with rows_progress("importing groups") as progress:
            task = progress.add_task("rows", total=None)
            report = import_groups(
                store=store,
                source=source,
                batch_size=batch_size,
                progress=lambda done: progress.update(task, completed=done),
            )
    finally:
        store.close()
    for problem in report.problems:
        typer.echo(f"line {problem.line}: {problem.kind.value}: {problem.reason}")
    console.print(
        f"{report.rows_read} rows: {report.groups_created} groups created, "
        f"{report.memberships_added} memberships added, {report.memberships_existing} already "
        f"there, {len(report.problems)} problems"
    )
    raise typer.Exit(0 if not report.problems else 2)


@cli.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def bench(ctx: typer.Context) -> None:
    """Run the core benchmark (scripts/bench_core.py; --help there for its options)."""
    script = PROJECT_ROOT / "scripts" / "bench_core.py"
    sys.argv = [str(script), *ctx.args]
    runpy.run_path(str(script), run_name="__main__")


PlanFile = Annotated[
    Path, typer.Argument(exists=True, dir_okay=False, help="A plan document (JSON)")
]


def _read_plan(path: Path) -> Plan:
    try:
        return Plan.model_validate_json(path.read_bytes())
    except ValidationError as error:
        # One line per problem, where then why: pydantic's own text ("1 validation error
        # for Plan … [type=…] … https://errors.pydantic.dev/…") is for developers.
        console.print(f"[red]{escape(str(path))} is not a valid plan document:[/red]")
        for line in validation_lines(error.errors(include_url=False)):
            console.print(f"  {line}", markup=False, highlight=False)
        raise typer.Exit(2) from None


def _print_check(plan: Plan, settings: Settings) -> bool:
    checked = check_plan(plan, settings.tier_ladder)
    for violation in checked.violations:
        # The message names the limit and its value: a "(limit tier = 0)" suffix added
        # only a placeholder.
        typer.echo(
            f"REFUSED  rule {violation.rule if violation.rule is not None else '-'}: "
            f"{violation.message}"
        )
    for rule in checked.lint.rules:
        typer.echo(f"rule {rule.rule} {rule.kind}: {rule.linkage} ({rule.why})")
    for finding in checked.lint.findings:
        typer.echo(
            f"WARNING  rule {finding.rule} {finding.kind}: {finding.pattern}, "
            f"{finding.article}: {finding.reason}"
        )
    return checked.loadable


@plan_cli.command("check")
def plan_check(path: PlanFile) -> None:
    """Guardrails and compliance lint for a plan file; exit 0 if it would load, 2 if not."""
    plan = _read_plan(path)
    loadable = _print_check(plan, load_settings())
    console.print(f"plan {plan.version}: {'loadable' if loadable else 'refused'}")
    raise typer.Exit(0 if loadable else 2)


@plan_cli.command("load")
def plan_load(path: PlanFile) -> None:
    """Load a plan version (refused, exit 2, when it breaks a guardrail)."""
    plan = _read_plan(path)
    settings = load_settings()
    if not _print_check(plan, settings):
        console.print(f"plan {plan.version}: refused; the plans in force are unchanged")
        raise typer.Exit(2)
    store = open_store(settings)
    try:
        _, created = load_plan(store=store, ladder=settings.tier_ladder, plan=plan, now=_now())
    except RefgraphError as refused:  # another document under this version, or retroactive
        console.print(f"plan {plan.version}: refused: {refused.detail}")
        raise typer.Exit(2) from None
    finally:
        store.close()
    console.print(f"plan {plan.version}: {'loaded' if created else 'already loaded'}")


@plan_cli.command("list")
def plan_list() -> None:
    """Every loaded plan version, oldest in force first."""
    store = open_store(load_settings())
    try:
        for plan in list_plans(store=store):
            effective_from = iso_moment(plan.effective_from)
            typer.echo(f"{plan.version}\teffective_from={effective_from}\t{plan.currency}")
    finally:
        store.close()


@cli.command()
def audit() -> None:
    """Re-derive every ledger entry (and points entry) from the orders, refunds, graph and
    plan versions; print each difference and exit 1 if there is any."""
    settings = load_settings()
    store = open_store(settings)
    started = time.perf_counter()
    try:
        with Progress(
            TextColumn("[bold]auditing"), MofNCompleteColumn(), TimeElapsedColumn(), console=console
        ) as progress:
            task = progress.add_task("orders", total=None)
            report = audit_ledger(
                store=store,
                ladder=settings.tier_ladder,
                progress=lambda done: progress.update(task, completed=done),
            )
    finally:
        store.close()
    for difference in report.differences:
        typer.echo(
            f"{difference.problem}\t{difference.entry_id or '-'}\t"
            f"{difference.order_id or '-'}\t{difference.detail}"
        )
    console.print(
        f"{report.orders} orders, {report.refunds} refunds, {report.entries} entries checked "
        f"and {report.points_entries} points entries in {time.perf_counter() - started:.1f} s: "
        f"{len(report.differences)} differences"
    )
    raise typer.Exit(0 if report.ok else 1)


@cli.command(name="connectors")
def connectors_run(
    sample: Annotated[
        int | None, typer.Option(min=2, help="Sources for sampled betweenness (default 64)")
    ] = None,
) -> None:
    """Score every member as a key connector now and store the run (what
    `POST /v1/jobs/connectors` does in the background)."""
    settings = load_settings()
    store = open_store(settings)
    try:
        with Progress(
            TextColumn("[bold]connectors"), BarColumn(), TimeElapsedColumn(), console=console
        ) as progress:
            task = progress.add_task("run", total=1.0)
            run = run_connectors(
                store=store,
                ladder=settings.tier_ladder,
                now=_now(),
                sample_sources=sample,
                progress=lambda share: progress.update(task, completed=share),
            )
    finally:
        store.close()
    console.print(
        f"{run.members} members scored at {iso_moment(run.computed_at)}"
        + (" (betweenness sampled)" if run.approximate else " (exact)")
    )


@cli.command(name="signals")
def signals_run() -> None:
    """Find abuse signals now and store the run (what `POST /v1/jobs/signals` does in the
    background); prints them counted by kind."""
    settings = load_settings()
    store = open_store(settings)
    try:
        with Progress(
            TextColumn("[bold]signals"), BarColumn(), TimeElapsedColumn(), console=console
        ) as progress:
            task = progress.add_task("run", total=1.0)
            run = run_signals(
                store=store,
                rules=settings.signal_rules,
                now=_now(),
                progress=lambda share: progress.update(task, completed=share),
            )
    finally:
        store.close()
    counts = ", ".join(f"{kind} {count}" for kind, count in run.counts.items())
    console.print(
        f"{run.signals} signals in {run.members} members at {iso_moment(run.computed_at)}: "
        + counts
    )


NOT_EMBEDDED = (
    "backup and restore work on the embedded engine (REFGRAPH_GRAPH_URL=embedded:PATH); "
    "for Neo4j use neo4j-admin database dump/load, for a FalkorDB server its own BGSAVE "
    "(README: Backups)"
)


def _embedded_folder(settings: Settings) -> Path:
    if not settings.graph_url.startswith("embedded:"):
        console.print(f"[red]error:[/red] {NOT_EMBEDDED}", highlight=False)
        raise typer.Exit(2)
    return Path(settings.graph_url.removeprefix("embedded:"))


@cli.command()
def backup(
    file: Annotated[Path, typer.Argument(dir_okay=False, help="The backup file to write")],
    force: Annotated[bool, typer.Option(help="Replace FILE if it exists")] = False,
) -> None:
    """Write a consistent snapshot of the embedded graph to FILE while the service serves
    (through its engine) or not (an engine is started for it): every write acknowledged
    before the backup began is in it, none by halves. FILE appears whole or not at all,
    with a checksum; an existing FILE is refused (exit 2) without --force."""
    settings = load_settings()
    folder = _embedded_folder(settings)
    try:
        saved = backup_embedded(folder, file, graph_name=settings.graph_name, force=force)
    except BackupRefused as refused:
        console.print(f"[red]error:[/red] {escape(refused.detail)}", highlight=False)
        raise typer.Exit(2) from None
    for name, nodes in sorted(saved.graphs.items()):
        typer.echo(f"graph {name}: {nodes} nodes")
    console.print(
        f"backed up {len(saved.graphs)} graphs ({sum(saved.graphs.values())} nodes, "
        f"{saved.payload_bytes} bytes of snapshot) to {escape(str(saved.path))} "
        f"({saved.file_bytes} bytes)",
        highlight=False,
    )


@cli.command()
def restore(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="A file from `refgraph backup`")
    ],
    data_dir: Annotated[
        Path | None,
        typer.Option(help="The EMPTY data folder to restore into (default: REFGRAPH_GRAPH_URL's)"),
    ] = None,
) -> None:
    """Restore a backup into an empty data folder (a non-empty one is refused, exit 2),
    after checking its checksum; the next `serve` or `verify` starts from it."""
    settings = load_settings()
    folder = data_dir if data_dir is not None else _embedded_folder(settings)
    try:
        restored = restore_embedded(file, folder, graph_name=settings.graph_name)
    except BackupRefused as refused:
        console.print(f"[red]error:[/red] {escape(refused.detail)}", highlight=False)
        raise typer.Exit(2) from None
    for name, nodes in sorted(restored.graphs.items()):
        typer.echo(f"graph {name}: {nodes} nodes")
    console.print(
        f"restored {len(restored.graphs)} graphs from the backup of "
        f"{restored.header.get('created_at', '?')} into {escape(str(restored.data_dir))}",
        highlight=False,
    )


@cli.command()
def release() -> None:
    """Release held ledger entries whose hold has passed (the server also does this)."""
    store = open_store(load_settings())
    try:
        released = release_due_entries(store=store, now=_now())
    finally:
        store.close()
    console.print(f"{released} entries released")


def _now() -> int:
    return int(time.time() * 1000)


def rows_progress(label: str) -> Progress:
    """A bar counting CSV rows done (the total is unknown until the file is read)."""
    return Progress(
        TextColumn(f"[bold]{label}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )


def _import_with_progress(
    settings: Settings, store: GraphStore, source: Path, batch_size: int
) -> ImportReport:
    with rows_progress("importing") as progress:
        task = progress.add_task("rows", total=None)
        return import_members(
            store=store,
            ladder=settings.tier_ladder,
            source=source,
            batch_size=batch_size,
            progress=lambda done: progress.update(task, completed=done),
        )


def _load_demo(settings: Settings, store: GraphStore) -> None:
    # A restart keeps the demo (and the keys) it has: load_demo would add a second one
    # beside it, under ids of its own.
    if store.member_count() > 0:
        console.print("demo: the graph already holds members; leaving it as it is")
        return
    started = time.monotonic()
    loaded = load_demo(
        store=store,
        ladder=settings.tier_ladder,
        plan_file=packaged("seed-plan.json"),
        members=DEMO_MEMBERS,
        now=_now(),
        seed=DEMO_SEED,
        progress=lambda stage: console.print(f"demo: loading {stage}"),
    )
    console.print(
        f"demo: {loaded.members} members ({loaded.paid} paid), {loaded.circles} circles, "
        f"plans {', '.join(loaded.plans)}, {loaded.orders} orders and {loaded.refunds} refunds "
        f"({loaded.entries} ledger entries) and a connector run, loaded in "
        f"{time.monotonic() - started:.1f} s"
    )


def demo_keys_file(settings: Settings) -> Path:
    """Beside the data the keys open, so that a restart of one data folder prints the same
    keys; a graph on a server (Neo4j, FalkorDB) has no folder here, so the current one."""
    if settings.graph_url.startswith("embedded:"):
        return Path(settings.graph_url.removeprefix("embedded:")) / DEMO_KEYS_IN_DATA
    return Path.cwd() / DEMO_KEYS_HERE


def demo_keys(path: Path) -> dict[str, str]:
    """The demo's keys (key -> role) kept in `path`, made on first use: one random key per
    role, in a file only its owner can read, which appears whole or not at all (written
    aside, then linked into place; of two first starts, the second reads the first's)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        by_role = {role: f"demo-{role}-{secrets.token_urlsafe(18)}" for role in ROLES}
        handle, aside = tempfile.mkstemp(dir=path.parent, prefix=".demo-keys-")  # mode 0600
        try:
            with os.fdopen(handle, "w") as out:
                out.write(json.dumps(by_role, indent=2) + "\n")
                out.flush()
                os.fsync(out.fileno())
            with contextlib.suppress(FileExistsError):  # another first start won: read its keys
                os.link(aside, path)
        finally:
            os.unlink(aside)
    try:
        by_role = json.loads(path.read_text())
        if not isinstance(by_role, dict) or sorted(by_role) != sorted(ROLES):
            raise ValueError(f"expected one key for each of {', '.join(ROLES)}")
        if not all(isinstance(key, str) and key for key in by_role.values()):
            raise ValueError("every key must be a non-empty string")
    except ValueError as error:
        raise InvalidInput(
            f"the demo keys file {path} is damaged ({error}); delete it to make new keys"
        ) from None
    return {key: role for role, key in by_role.items()}


def main() -> None:
    try:
        cli()
    except RefgraphError as error:
        # Escaped: a detail quotes what it refused, and rich would read "[b]" in it as markup.
        console.print(f"[red]error:[/red] {escape(error.detail)}")
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
