"""Processes a benchmark starts and owns: a private MariaDB and gunicorn, plus CPU accounting.

Every child runs in its own session and is stopped by its own pid (its process group, which it
leads), so a benchmark never touches the shared MariaDB on 3306 or anyone else's processes.
`Cleanup` stops them on normal exit, on an exception, and on SIGINT/SIGTERM/SIGHUP alike.
"""

import atexit
import contextlib
import getpass
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# Where stocking.settings keeps the default file cache (throttle counters): tmpfs when the machine
# has a writable one, else var/cache on the disk. The benchmarks put their private cache directory
# on the same kind of storage, so they measure what a deployment on this machine pays.
SHARED_MEMORY = Path("/dev/shm")


def default_cache_parent() -> Path | None:
    """tmpfs for the private file cache when the settings' default would be there, else None (the
    caller's temp dir, on disk like var/cache)."""
    return SHARED_MEMORY if SHARED_MEMORY.is_dir() and os.access(SHARED_MEMORY, os.W_OK) else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def find_binary(name: str, *, hint: str) -> str:
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/local/sbin:/usr/local/mysql/bin")
    if not found:
        raise SystemExit(f"`{name}` not found. {hint}")
    return found


def wait_until(check: Callable[[], bool], *, timeout: float, what: str) -> None:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            if check():
                return
        except ChildDied:
            raise
        except Exception:  # not up yet: refused connection, missing socket...
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not come up within {timeout:.0f} s")


class ChildDied(RuntimeError):
    pass


class Child:
    """One child process leading its own process group, output appended to a log file."""

    def __init__(self, name: str, argv: list[str], *, env: dict, log_dir: Path, cwd: Path = ROOT) -> None:
        self.name, self.argv, self.env, self.cwd = name, argv, env, cwd
        self.log_path = log_dir / f"{name}.log"
        self.popen: subprocess.Popen | None = None

    def start(self) -> "Child":
        with open(self.log_path, "ab") as log:
            self.popen = subprocess.Popen(
                self.argv, cwd=self.cwd, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        return self

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def check_alive(self) -> None:
        if not self.alive():
            raise ChildDied(f"{self.name} exited; the end of {self.log_path}:\n{self.log_tail()}")

    def stop(self, timeout: float = 30) -> None:
        """SIGTERM to the group this child leads (gunicorn's workers included), SIGKILL if it lingers."""
        if self.popen is None:
            return
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(timeout)
        # Workers left behind by a master that died are still in the group.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)
        if self.popen.poll() is None:
            self.popen.wait()

    def log_tail(self, chars: int = 3000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:] if self.log_path.exists() else ""


class Cleanup:
    """Stop-functions run once, last registered first: at exit, on an exception, or on a signal."""

    def __init__(self) -> None:
        self.actions: list[Callable[[], None]] = []
        atexit.register(self.run)
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, self._on_signal)

    def _on_signal(self, signum, frame) -> None:
        # SystemExit unwinds through every `finally`, then atexit runs what is left.
        raise SystemExit(128 + signum)

    def add(self, action: Callable[[], None]) -> None:
        self.actions.append(action)

    def run(self) -> None:
        while self.actions:
            action = self.actions.pop()
            try:
                action()
            except Exception as exc:  # one failed stop must not leave the others running
                print(f"cleanup: {exc}", file=sys.stderr)


class PrivateMariaDB:
    """mariadb-install-db + mariadbd on a free loopback port, data and socket in `workdir`.

    --no-defaults: the machine's my.cnf belongs to the shared server. --skip-grant-tables: root
    without a password on loopback, for throw-away data.
    """

    def __init__(self, workdir: Path, *, database: str, buffer_pool: str = "256M") -> None:
        hint = "On Debian: apt-get install mariadb-server (only its binaries are used; the shared server is untouched)."
        self.install_db = find_binary("mariadb-install-db", hint=hint)
        self.mariadbd = find_binary("mariadbd", hint=hint)
        self.workdir = workdir
        self.datadir = workdir / "mariadb"
        self.database = database
        self.buffer_pool = buffer_pool
        self.port = free_port()
        self.child: Child | None = None

    @property
    def url(self) -> str:
        return f"mysql://root@127.0.0.1:{self.port}/{self.database}"

    def start(self, timeout: float = 90) -> None:
        user = getpass.getuser()
        subprocess.run(
            [
                self.install_db,
                "--no-defaults",
                f"--datadir={self.datadir}",
                f"--user={user}",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        argv = [
            self.mariadbd,
            "--no-defaults",
            f"--datadir={self.datadir}",
            f"--socket={self.workdir / 'mariadb.sock'}",
            f"--port={self.port}",
            "--bind-address=127.0.0.1",
            f"--pid-file={self.workdir / 'mariadbd.pid'}",
            f"--user={user}",
            "--skip-grant-tables",
            "--skip-name-resolve",
            "--max-connections=500",
            f"--innodb-buffer-pool-size={self.buffer_pool}",
        ]
        self.child = Child("mariadbd", argv, env=dict(os.environ), log_dir=self.workdir).start()
        wait_until(self._ping, timeout=timeout, what="the private MariaDB")
        self.execute(f"CREATE DATABASE IF NOT EXISTS {self.database} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")

    def _ping(self) -> bool:
        self.child.check_alive()
        self.execute("SELECT 1")
        return True

    def execute(self, sql: str) -> None:
        import MySQLdb

        conn = MySQLdb.connect(host="127.0.0.1", port=self.port, user="root", connect_timeout=2)
        try:
            conn.cursor().execute(sql)
        finally:
            conn.close()

    def stop(self) -> None:
        if self.child is not None:
            self.child.stop(timeout=60)


def process_tree_pids(root_pid: int) -> list[int]:
    """root_pid and its children (one level: gunicorn's master and workers), read from /proc."""
    pids = [root_pid]
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid ...: comm may hold spaces, so split after its last parenthesis.
        if int(stat.rsplit(")", 1)[1].split()[1]) == root_pid:
            pids.append(int(entry.name))
    return pids


def cpu_seconds(pids: list[int]) -> float:
    """utime + stime of these processes (threads included), in seconds."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # a worker that was replaced meanwhile
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / CLOCK_TICKS


def machine_busy_seconds() -> float:
    """CPU seconds all cores spent not idle since boot (/proc/stat), for the machine's other load."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values[:8]) - idle) / CLOCK_TICKS


def code_version() -> str:
    """The commit measured, and whether the work tree's application code differs from it (several
    people share this work tree: a figure is only comparable with others of the same code)."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--", ".", ":!bench", ":!README.md"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):
        return "code: not a git checkout"
    return f"code: {head}" + (f" + uncommitted changes in {len(changed)} files" if changed else " (clean)")
