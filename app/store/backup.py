"""Backups of the embedded engine (`refgraph backup` / `refgraph restore`).

A backup is the engine's own point-in-time snapshot: a BGSAVE forks the engine, which writes
every graph as it stands at that instant to an RDB file while the engine keeps serving. Every
write acknowledged before the backup began is in it; none is in it by halves (FalkorDB holds
each graph's lock across the fork, so no statement is half applied in the copy). The
snapshot is then loaded once in an engine of its own, which counts each graph's nodes for
the header: a backup is known to load before it is kept.

The backup file is written aside, fsynced and renamed into place; it reads:

    REFGRAPH-BACKUP 1\\n
    {header: format, engine versions, graphs and their node counts, payload size}\\n
    <the RDB snapshot, payload_bytes long>
    sha256 <hex digest of every byte above>\\n

A restore lays the snapshot down in an empty data folder: the engine loads it and writes
it as the base of its append-only file, so that the next `serve` or `verify` starts from it;
it then opens the folder the ordinary way and checks that every graph holds the node count
the header recorded."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import redis
from redis.client import Pipeline

from app.core.errors import RefgraphError, StoreUnavailable
from app.store.embedded import EmbeddedEngine

MAGIC = b"REFGRAPH-BACKUP 1\n"
FORMAT = "refgraph-backup"
FORMAT_VERSION = 1
PAYLOAD = "redis-rdb"
SNAPSHOT_TIMEOUT_S = 3600.0
RESTORED_RDB = "restore.rdb"
CHUNK = 1 << 20


class BackupRefused(RefgraphError):
    """A backup or restore that would overwrite something, or a damaged backup file."""

    title = "Backup refused"


@dataclass(frozen=True)
class BackupSummary:
    path: Path
    graphs: dict[str, int]  # graph name -> node count at the snapshot
    payload_bytes: int
    file_bytes: int
    header: dict[str, Any]


def backup_embedded(
    data_dir: Path, target: Path, *, graph_name: str, force: bool = False
) -> BackupSummary:
    """Snapshots the engine of `data_dir` into `target`: through the socket of the engine of
    the process that owns the folder (a serving `refgraph serve`), else an engine started
    here for the purpose (and stopped again)."""
    data_dir = data_dir.resolve()
    if target.exists() and not force:
        raise BackupRefused(f"{target} already exists; pass --force to replace it")
    if not (data_dir / "appendonlydir").is_dir():
        raise BackupRefused(f"{data_dir} holds no embedded graph data to back up")
    engine = EmbeddedEngine(data_dir)
    engine.open(exclusive=False)
    try:
        engine.warm_up(graph_name)
        client = redis.Redis(unix_socket_path=engine.client_socket(), decode_responses=False)
        try:
            with _backup_lock(data_dir):
                versions, snapshot = _snapshot(client, data_dir)
        finally:
            client.close()
    finally:
        engine.stop()  # an engine started here stops; a sharer only lets go
    try:
        graphs = _count_snapshot(snapshot, graph_name)
        return _write_backup(target, snapshot, graphs, versions, force=force)
    finally:
        snapshot.unlink(missing_ok=True)


@contextlib.contextmanager
def _backup_lock(data_dir: Path) -> Iterator[None]:
    """One backup of a folder at a time: the engine writes every BGSAVE to one file name."""
    fd = os.open(data_dir / "backup.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _snapshot(client: redis.Redis, data_dir: Path) -> tuple[dict[str, str], Path]:
    """The engine's RDB snapshot of this instant, moved aside in the folder."""
    versions = _versions(client)
    deadline = time.monotonic() + SNAPSHOT_TIMEOUT_S
    while True:
        saves_before = int(client.info("persistence")["rdb_saves"])
        try:
            client.bgsave()
            break
        except redis.ResponseError as error:
            # A rewrite of the write log (the supervisor's fold) is running: wait for it.
            if "in progress" not in str(error).lower() or time.monotonic() > deadline:
                raise StoreUnavailable(f"the engine refused to snapshot: {error}") from None
            time.sleep(0.1)
    while True:
        state = client.info("persistence")
        if not state["rdb_bgsave_in_progress"] and int(state["rdb_saves"]) > saves_before:
            break
        if not state["rdb_bgsave_in_progress"] and state["rdb_last_bgsave_status"] != "ok":
            break
        if time.monotonic() > deadline:
            raise StoreUnavailable(f"the engine's snapshot took over {SNAPSHOT_TIMEOUT_S}s")
        time.sleep(0.05)
    if state["rdb_last_bgsave_status"] != "ok":
        raise StoreUnavailable(f"the engine's snapshot failed (see {data_dir / 'engine.log'})")
    aside = data_dir / f".backup-{os.getpid()}.rdb"
    os.replace(data_dir / "dump.rdb", aside)
    return versions, aside


def _count_snapshot(snapshot: Path, graph_name: str) -> dict[str, int]:
    """Loads the snapshot in an engine of its own (in a folder beside it, the log off) and
    counts every graph's nodes: the backup is known to load, and its header tells what it
    holds exactly (the serving engine's graphs change between a count and the fork)."""
    scratch = snapshot.parent / f".check-{os.getpid()}"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(mode=0o700)
    try:
        os.replace(snapshot, scratch / RESTORED_RDB)
        engine = EmbeddedEngine(scratch)
        try:
            engine.open_from_snapshot(RESTORED_RDB, write_log=False)
            engine.warm_up(graph_name)
            return _graph_counts(engine)
        finally:
            engine.stop()
            os.replace(scratch / RESTORED_RDB, snapshot)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _versions(client: redis.Redis) -> dict[str, str]:
    """The engine's and the graph module's versions, for the backup's header."""
    versions = {"redis": str(client.info("server")["redis_version"])}
    for module in _call(client, "MODULE", "LIST"):
        fields = (
            module
            if isinstance(module, dict)
            else dict(zip(module[::2], module[1::2], strict=True))
        )
        fields = {_text(key): value for key, value in fields.items()}
        if _text(fields.get("name", "")) == "graph":
            versions["falkordb"] = str(fields.get("ver"))
    return versions


def _call(target: redis.Redis | Pipeline, *args: object) -> Any:
    return target.execute_command(*args)  # type: ignore[no-untyped-call]


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _write_backup(
    target: Path,
    snapshot: Path,
    graphs: dict[str, int],
    versions: dict[str, str],
    *,
    force: bool,
) -> BackupSummary:
    payload_bytes = snapshot.stat().st_size
    header: dict[str, Any] = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "engine": "falkordb-embedded",
        "payload": PAYLOAD,
        "versions": versions,
        "graphs": graphs,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "payload_bytes": payload_bytes,
    }
    target = target.absolute()
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, aside = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        digest = hashlib.sha256()
        with os.fdopen(handle, "wb") as out:
            for piece in (MAGIC, json.dumps(header, sort_keys=True).encode() + b"\n"):
                out.write(piece)
                digest.update(piece)
            with snapshot.open("rb") as source:
                while chunk := source.read(CHUNK):
                    out.write(chunk)
                    digest.update(chunk)
            out.write(f"sha256 {digest.hexdigest()}\n".encode())
            out.flush()
            os.fsync(out.fileno())
        if force:
            os.replace(aside, target)
        else:
            try:
                os.link(aside, target)
            except FileExistsError:
                raise BackupRefused(
                    f"{target} already exists; pass --force to replace it"
                ) from None
            os.unlink(aside)
        _fsync_dir(target.parent)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(aside)
        raise
    return BackupSummary(
        path=target,
        graphs=graphs,
        payload_bytes=payload_bytes,
        file_bytes=target.stat().st_size,
        header=header,
    )


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read_backup(source: Path, payload_out: IO[bytes] | None = None) -> dict[str, Any]:
    """Checks a backup file whole (its format and its checksum) and returns its header;
    copies the snapshot into `payload_out` on the way. Raises BackupRefused when the file
    is not a backup or is damaged."""
    digest = hashlib.sha256()
    with source.open("rb") as file:
        magic = file.read(len(MAGIC))
        if magic != MAGIC:
            raise BackupRefused(f"{source} is not a refgraph backup file")
        digest.update(magic)
        line = file.readline(1 << 20)
        digest.update(line)
        try:
            header = json.loads(line)
            size = int(header["payload_bytes"])
            if header.get("format") != FORMAT or header.get("payload") != PAYLOAD:
                raise ValueError("unknown format")
        except (ValueError, KeyError, TypeError) as error:
            raise BackupRefused(f"{source}: the backup header is damaged ({error})") from None
        if int(header.get("version", 0)) > FORMAT_VERSION:
            raise BackupRefused(
                f"{source} is a backup of format version {header['version']}, newer than this "
                f"refgraph reads ({FORMAT_VERSION})"
            )
        left = size
        while left:
            chunk = file.read(min(CHUNK, left))
            if not chunk:
                raise BackupRefused(f"{source} is truncated: its snapshot is cut short")
            digest.update(chunk)
            if payload_out is not None:
                payload_out.write(chunk)
            left -= len(chunk)
        trailer = file.read(200)
    expected = f"sha256 {digest.hexdigest()}\n".encode()
    if trailer != expected:
        raise BackupRefused(
            f"{source} is damaged: its checksum does not match its contents (or it is "
            "truncated); it cannot be restored"
        )
    return dict(header)


@dataclass(frozen=True)
class RestoreSummary:
    data_dir: Path
    graphs: dict[str, int]
    header: dict[str, Any]


class FolderNotEmpty(BackupRefused):
    pass


def restore_embedded(source: Path, data_dir: Path, *, graph_name: str) -> RestoreSummary:
    """Lays the backup in `source` down in `data_dir`, which must be missing or empty, and
    checks that the folder opens with every graph's node count as the backup recorded."""
    data_dir = data_dir.absolute()
    if data_dir.exists() and (not data_dir.is_dir() or any(data_dir.iterdir())):
        raise FolderNotEmpty(
            f"{data_dir} is not empty: a backup is restored into an empty (or new) data folder "
            "only; point REFGRAPH_GRAPH_URL (or --data-dir) at an empty one"
        )
    read_backup(source)  # a damaged file is refused before the folder is touched
    created = not data_dir.exists()
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        with (data_dir / RESTORED_RDB).open("wb") as out:
            header = read_backup(source, out)
            out.flush()
            os.fsync(out.fileno())
        engine = EmbeddedEngine(data_dir)
        try:
            engine.open_from_snapshot(RESTORED_RDB)
            engine.warm_up(graph_name)
            _check_counts(engine, header, "loaded from the snapshot")
        finally:
            engine.stop()
        engine = EmbeddedEngine(data_dir)  # as `serve` and `verify` will open it
        try:
            engine.open(exclusive=True)
            engine.warm_up(graph_name)
            graphs = _check_counts(engine, header, "reopened from its append-only file")
        finally:
            engine.stop()
    except BaseException:
        _empty(data_dir, remove=created)
        raise
    return RestoreSummary(data_dir=data_dir, graphs=graphs, header=header)


def _graph_counts(engine: EmbeddedEngine) -> dict[str, int]:
    client = redis.Redis(unix_socket_path=engine.client_socket(), decode_responses=True)
    try:
        graphs: dict[str, int] = {}
        for name in _call(client, "GRAPH.LIST"):
            reply = _call(client, "GRAPH.RO_QUERY", name, "MATCH (n) RETURN count(n)")
            graphs[name] = int(reply[1][0][0])
        return graphs
    finally:
        client.close()


def _check_counts(engine: EmbeddedEngine, header: dict[str, Any], when: str) -> dict[str, int]:
    graphs = _graph_counts(engine)
    expected = {str(name): int(count) for name, count in header["graphs"].items()}
    if graphs != expected:
        raise StoreUnavailable(
            f"the restored engine, {when}, holds graphs {graphs}, not {expected} as the "
            "backup recorded"
        )
    return graphs


def _empty(data_dir: Path, *, remove: bool) -> None:
    """Leaves a folder a failed restore wrote in as it found it: empty, or gone."""
    for entry in list(data_dir.iterdir()) if data_dir.exists() else []:
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
    if remove:
        with contextlib.suppress(OSError):
            data_dir.rmdir()
