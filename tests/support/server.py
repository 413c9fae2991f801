"""``streamlit run`` as a test or benchmark needs it: a real server on a free
loopback port, optionally observed from inside through ``server_probe`` (the
module app.py imports when ``GRU_EXPLAINER_SERVER_HOOKS`` names it)."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from .server_probe import HOOKS_ENV, SETTINGS_ENV

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM it when the test dies, even by SIGKILL."""
    import ctypes
    import signal
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class StreamlitServer:
    """``streamlit run <script>`` on a free loopback port, as a context manager.

    Extra ``--section.option value`` flags go in ``options``; the app folder's
    own ``.streamlit/config.toml`` applies as usual (the server runs in it).
    With ``probe=True`` the server reports its threads and runs (``probe()``);
    ``registry`` (RunRegistry keyword arguments) configures the app's registry;
    ``fail_hiddens`` makes runs of that size fail in their training thread."""

    def __init__(self, script: str, cwd: str, options: dict | None = None,
                 env: dict | None = None, log_path: str | None = None,
                 probe: bool = False, registry: dict | None = None,
                 fail_hiddens: int | None = None):
        self.script, self.cwd = script, cwd
        self.options = {"server.headless": "true", "browser.gatherUsageStats": "false",
                        **(options or {})}
        self.env, self.log_path = dict(env or {}), log_path
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = None
        self._report_dir = None
        if probe or registry or fail_hiddens:
            self._report_dir = tempfile.TemporaryDirectory(prefix="st-probe-")
            self.report_path = os.path.join(self._report_dir.name, "report.json")
            self.env[HOOKS_ENV] = "tests.support.server_probe"
            self.env[SETTINGS_ENV] = json.dumps({"registry": registry or {},
                                                 "fail_hiddens": fail_hiddens,
                                                 "report": self.report_path})
            # the app's folder comes first on the server's path (streamlit puts it
            # there); this repository's tests.support is found after it
            self.env["PYTHONPATH"] = os.pathsep.join(
                part for part in (os.environ.get("PYTHONPATH", ""), str(REPO)) if part)

    def probe(self) -> dict:
        """The server's latest report: {'time', 'threads': [names], 'runs': [...]}."""
        for _ in range(20):
            try:
                with open(self.report_path) as report:
                    return json.load(report)
            except (FileNotFoundError, ValueError):
                time.sleep(0.1)
        raise RuntimeError("the server's probe wrote no report; see the server log")

    def __enter__(self) -> "StreamlitServer":
        command = [sys.executable, "-m", "streamlit", "run", self.script,
                   "--server.port", str(self.port), "--server.address", "127.0.0.1"]
        for key, value in self.options.items():
            command += [f"--{key}", str(value)]
        self._log = open(self.log_path or os.devnull, "w")
        self.process = subprocess.Popen(command, cwd=self.cwd, stdout=self._log,
                                        stderr=subprocess.STDOUT, preexec_fn=_die_with_parent,
                                        env={**os.environ, **self.env})
        try:
            self._wait_healthy(timeout=90)
        except BaseException:
            self.__exit__()
            raise
        return self

    def _wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"streamlit exited with {self.process.returncode}; "
                                   f"see {self.log_path}")
            try:
                with urllib.request.urlopen(self.url + "/_stcore/health", timeout=2) as response:
                    if response.read().strip() == b"ok":
                        return
            except OSError:
                pass
            time.sleep(0.3)
        raise TimeoutError(f"streamlit not healthy after {timeout} s on {self.url}")

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()
        if self._report_dir is not None:
            self._report_dir.cleanup()

    # /proc readings of the server process (Linux); psutil is not a dependency.
    def rss_mb(self) -> float:
        with open(f"/proc/{self.process.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return float("nan")

    def cpu_seconds(self) -> float:
        """User + system CPU time the server has used so far."""
        with open(f"/proc/{self.process.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def thread_count(self) -> int:
        return len(os.listdir(f"/proc/{self.process.pid}/task"))
