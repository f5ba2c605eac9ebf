"""Real processes for crash and scale-out tests: redis-server, `swarm worker`, `swarm serve`, gunicorn.

Each runs on 127.0.0.1 with its own environment (never the developer's tokens), its output kept in a log file
that a failing test shows. kill() is SIGKILL, as a crash or the OOM killer would do it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition: Callable[[], bool], *, what: str, timeout: float = 30.0, every: float = 0.05) -> float:
    """Poll until `condition()` holds; returns the seconds waited."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if condition():
            return time.monotonic() - started
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log: Path

    def kill(self) -> None:
        """SIGKILL: no cleanup, no graceful shutdown, leases and half-done steps left behind."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGKILL)
        self.popen.wait(timeout=10)

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def stop_all(started: list[Process]) -> None:
    """SIGTERM to every process at once, then wait for each (sequential stops add up to seconds)."""
    for process in started:
        if process.popen.poll() is None:
            process.popen.send_signal(signal.SIGTERM)
    for process in started:
        process.stop()


def start(name: str, argv: list[str], env: dict[str, str], *, directory: Path) -> Process:
    log = directory / f"{name}.log"
    full_env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1", **env}
    with open(log, "wb") as out:
        popen = subprocess.Popen(argv, env=full_env, cwd=directory, stdout=out, stderr=subprocess.STDOUT,
                                 preexec_fn=_die_with_the_test_run())
    return Process(name, popen, log)


def _die_with_the_test_run() -> Callable[[], None] | None:
    """Linux: the child is SIGKILLed when pytest dies (a CI timeout, a kill), so no gunicorn or worker outlives it.

    prctl is looked up here, in the parent: the child, between fork and exec, only makes the call."""
    import ctypes

    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    return lambda: prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG


def swarm_worker(name: str, env: dict[str, str], *, directory: Path, threads: int = 2) -> Process:
    return start(name, [sys.executable, "-m", "swarm.app.cli", "worker", "--workers", str(threads)], env, directory=directory)


def swarm_serve(name: str, env: dict[str, str], *, directory: Path, port: int) -> Process:
    return start(name, [sys.executable, "-m", "swarm.app.cli", "serve", "--port", str(port)], env, directory=directory)


def gunicorn(name: str, env: dict[str, str], *, directory: Path, port: int, threads: int = 4) -> Process:
    argv = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", str(threads),
            "--graceful-timeout", "5", "--no-control-socket",  # two masters would share ~/.gunicorn/gunicorn.ctl
            "integrations.web.wsgi:create()"]
    return start(name, argv, env, directory=directory)


def healthy(base_url: str) -> bool:
    try:
        return _http().get(base_url + "/healthz", timeout=1).status_code == 200
    except requests.RequestException:
        return False


def _http() -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # never send 127.0.0.1 through a proxy from the environment
    return session


@contextlib.contextmanager
def start_redis() -> Iterator[str]:
    """redis-server on a free port, no persistence (PLATFORM_NOTES); yields its URL, shuts it down after."""
    port = free_port()
    directory = tempfile.mkdtemp(prefix="caseswarm-redis-")
    subprocess.run(["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--daemonize", "yes", "--save", "",
                    "--appendonly", "no", "--dir", directory, "--pidfile", f"{directory}/redis.pid"], check=True,
                   stdout=subprocess.DEVNULL)
    try:
        wait_for(lambda: _redis_ping(port), what="redis-server", timeout=10)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        _stop_daemon(Path(directory) / "redis.pid")


def _stop_daemon(pidfile: Path) -> None:
    """SIGTERM the daemon named in its pid file (redis-server shuts down at once: nothing to save)."""
    with contextlib.suppress(FileNotFoundError, ProcessLookupError, ValueError):
        pid = int(pidfile.read_text().strip())
        os.kill(pid, signal.SIGTERM)
        wait_for(lambda: not Path(f"/proc/{pid}").exists(), what="redis-server to exit", timeout=10, every=0.02)


def _redis_ping(port: int) -> bool:
    import redis

    try:
        return bool(redis.Redis(host="127.0.0.1", port=port, socket_timeout=0.5).ping())
    except redis.RedisError:
        return False
