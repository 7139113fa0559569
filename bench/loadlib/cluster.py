"""The processes a load run starts and owns: a private MariaDB, gunicorn, two market engines and the
PortOne sandbox. Nothing here touches a process it did not start (the shared MariaDB on 3306 included)."""

import getpass
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
DB_NAME = "stocking_load"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def find_binary(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/local/sbin:/usr/local/mysql/bin")
    if not found:
        raise SystemExit(
            f"bench/load needs `{name}` for its private MariaDB instance and cannot find it. "
            "On Debian: apt-get install mariadb-server (the shared server is never used for this)."
        )
    return found


def wait_until(check, *, timeout: float, what: str, interval: float = 0.1) -> float:
    """Poll `check()` until it is true; return the seconds it took."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            if check():
                return time.monotonic() - started
        except RuntimeError:
            raise  # the process we wait for has died: waiting longer will not help
        except Exception:  # not up yet: a refused connection, a half-written file...
            pass
        time.sleep(interval)
    raise RuntimeError(f"{what} did not come up within {timeout:.0f} s")


class Process:
    """One child in its own session, output to a log file, stopped by its own pid only."""

    def __init__(self, name: str, argv: list[str], *, env: dict, log_dir: Path) -> None:
        self.name, self.argv, self.env = name, argv, env
        self.log_path = log_dir / f"{name}.log"
        self.popen: subprocess.Popen | None = None

    def start(self) -> "Process":
        log = open(self.log_path, "ab")  # noqa: SIM115 - owned by the child for its lifetime
        self.popen = subprocess.Popen(
            self.argv, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        return self

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def kill(self) -> None:
        """SIGKILL, as a crash would: no clean-up code runs."""
        if self.alive():
            self.popen.kill()  # Popen does not signal a child it has already reaped
            self.popen.wait()

    def stop(self, timeout: float = 15) -> None:
        if not self.alive():
            return
        self.popen.terminate()
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


class PrivateMariaDB:
    """mariadb-install-db + mariadbd on a free port and a socket inside the run's directory."""

    def __init__(self, workdir: Path) -> None:
        self.install_db = find_binary("mariadb-install-db")
        self.mariadbd = find_binary("mariadbd")
        self.datadir = workdir / "mariadb"
        self.socket = workdir / "mariadb.sock"
        self.port = free_port()
        self.log_dir = workdir
        self.process: Process | None = None
        self.user = getpass.getuser()

    @property
    def url(self) -> str:
        return f"mysql://root@127.0.0.1:{self.port}/{DB_NAME}"

    def install(self) -> None:
        subprocess.run(
            [
                self.install_db,
                "--no-defaults",  # the machine's my.cnf belongs to the shared server
                f"--datadir={self.datadir}",
                f"--user={self.user}",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def start(self, timeout: float = 60) -> float:
        argv = [
            self.mariadbd,
            "--no-defaults",
            f"--datadir={self.datadir}",
            f"--socket={self.socket}",
            f"--port={self.port}",
            "--bind-address=127.0.0.1",
            f"--pid-file={self.datadir / 'mariadbd.pid'}",
            f"--user={self.user}",
            "--skip-grant-tables",  # loopback only, throw-away data: root without a password
            "--skip-name-resolve",
            "--max-connections=500",
            "--innodb-buffer-pool-size=256M",
        ]
        self.process = Process("mariadbd", argv, env=dict(os.environ), log_dir=self.log_dir).start()
        return wait_until(self.ping, timeout=timeout, what="the private MariaDB")

    def ping(self) -> bool:
        import MySQLdb

        if self.process is None or not self.process.alive():
            raise RuntimeError("mariadbd exited:\n" + self.process.log_text()[-2000:])
        conn = MySQLdb.connect(host="127.0.0.1", port=self.port, user="root", connect_timeout=2)
        conn.close()
        return True

    def create_database(self) -> None:
        import MySQLdb

        conn = MySQLdb.connect(host="127.0.0.1", port=self.port, user="root")
        try:
            conn.cursor().execute(
                f"CREATE DATABASE IF NOT EXISTS {DB_NAME} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
            )
        finally:
            conn.close()

    def kill(self) -> None:
        self.process.kill()

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop(timeout=60)


class Stack:
    """gunicorn, the market engines and the sandbox, all against the private database."""

    def __init__(self, *, workdir: Path, database_url: str, workers: int, market_interval: float, seed: int) -> None:
        self.workdir = workdir
        self.web_port = free_port()
        self.sandbox_port = free_port()
        self.workers = workers
        self.market_interval = market_interval
        self.seed = seed
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "stocking.settings",
            "PYTHON_ENV": "development",
            "DEBUG": "false",
            "DATABASE_URL": database_url,
            "CONN_MAX_AGE": "60",  # persistent connections must survive the database restart
            "THROTTLE_ALL": "100000000/min",
            "JWT_ACCESS_MINUTES": "240",
            "LOG_LEVEL": "WARNING",
            "PORTONE_SANDBOX": "true",
            "PORTONE_API_URL": f"http://127.0.0.1:{self.sandbox_port}/",
            "PORTONE_STORE_ID": "imp-sandbox",
            "PORTONE_V1_API_KEY": "sandbox-key",
            "PORTONE_V1_API_SECRET": "sandbox-secret",
        }
        for name in ("CACHE_URL", "DATABASE_URI", "THROTTLE_ANON", "THROTTLE_USER", "THROTTLE_AUTH"):
            self.env.pop(name, None)
        self.gunicorn: Process | None = None
        self.markets: list[Process] = []
        self.sandbox: Process | None = None
        self.market_starts = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    @property
    def sandbox_url(self) -> str:
        return f"http://127.0.0.1:{self.sandbox_port}"

    def manage(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True, text=True, check=check
        )

    def start(self) -> None:
        self.sandbox = Process(
            "sandbox",
            [
                sys.executable,
                "manage.py",
                "portone_sandbox",
                "--port",
                str(self.sandbox_port),
                "--webhook-url",
                f"{self.base_url}/api/v1/payments/webhook",
            ],
            env=self.env,
            log_dir=self.workdir,
        ).start()
        self.gunicorn = Process(
            "gunicorn",
            [
                str(VENV_BIN / "gunicorn"),
                "stocking.wsgi:application",
                "-c",
                "gunicorn.conf.py",
                "-w",
                str(self.workers),
                "--bind",
                f"127.0.0.1:{self.web_port}",
                "--no-control-socket",  # the default socket lives in $HOME, shared with any other gunicorn
            ],
            env=self.env,
            log_dir=self.workdir,
        ).start()
        self.markets = [self.start_market() for _ in range(2)]
        wait_until(lambda: requests.get(f"{self.base_url}/healthz", timeout=2).ok, timeout=60, what="gunicorn")
        wait_until(lambda: len(self.worker_pids()) == self.workers, timeout=60, what="gunicorn's workers")
        wait_until(lambda: requests.get(self.sandbox_url, timeout=2) is not None, timeout=30, what="the sandbox")

    def start_market(self) -> Process:
        self.market_starts += 1
        return Process(
            f"run_market-{self.market_starts}",
            [
                sys.executable,
                "manage.py",
                "run_market",
                "--interval",
                str(self.market_interval),
                "--seed",
                str(self.seed * 100 + self.market_starts),
                "-v",
                "2",
            ],
            env=self.env,
            log_dir=self.workdir,
        ).start()

    def worker_pids(self) -> set[int]:
        """gunicorn's workers: the master's children, read from /proc."""
        if self.gunicorn is None or not self.gunicorn.alive():
            return set()
        pids = set()
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # pid (comm) state ppid ...: comm may hold spaces, so split after its closing parenthesis.
            if int(stat.rsplit(")", 1)[1].split()[1]) == self.gunicorn.pid:
                pids.add(int(entry.name))
        return pids

    def stop(self) -> None:
        for process in [self.gunicorn, *self.markets, self.sandbox]:
            if process is not None:
                process.stop()
