"""A Spark standalone cluster on this machine: a master and workers on 127.0.0.1, for the tests,
the benchmarks and trying ``--spark-master spark://...`` without a cluster.

The scripts that start a master and a worker ship in the pyspark wheel (``bin/spark-class``);
Java 17 must be on the ``PATH`` (Debian: ``openjdk-17-jre-headless``)::

    with StandaloneCluster(workers=2, cores=1) as cluster:
        subprocess.run(["checker", "check", "events.jsonl", "--engine", "spark",
                        "--spark-master", cluster.master_url])

Each daemon runs in its own process group and is stopped (then killed) when the block ends;
their logs go to a temporary directory, whose tail an error quotes.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from types import TracebackType

#: how long the master and its workers may take to come up
START_TIMEOUT_S = 90.0
#: JVM options of the master and the workers (``SPARK_DAEMON_JAVA_OPTS`` in the environment wins)
DAEMON_JAVA_OPTS = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _signal(group: int, sig: int) -> None:
    """Send ``sig`` to the process group ``group``, which may be gone already."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(group, sig)


def spark_home() -> str:
    """Where the installed pyspark keeps Spark's jars and scripts."""
    import pyspark

    return os.path.dirname(os.path.abspath(pyspark.__file__))


class StandaloneCluster:
    """A master and ``workers`` workers of ``cores`` cores and ``memory`` each, on 127.0.0.1."""

    def __init__(self, workers: int = 2, cores: int = 1, memory: str = "1g") -> None:
        self.workers, self.cores, self.memory = workers, cores, memory
        self.port, self.ui_port = _free_port(), _free_port()
        self.master_url = f"spark://127.0.0.1:{self.port}"
        self.logs = tempfile.mkdtemp(prefix="checker-spark-cluster-")
        self.processes: list[subprocess.Popen[bytes]] = []

    def _start(self, name: str, *args: str) -> None:
        home = spark_home()
        env = dict(os.environ, SPARK_HOME=home, SPARK_LOCAL_IP="127.0.0.1", SPARK_NO_DAEMONIZE="1")
        # the daemons only schedule: the quick JIT tier alone starts them in 4 s rather than 17
        env.setdefault("SPARK_DAEMON_JAVA_OPTS", DAEMON_JAVA_OPTS)
        env["SPARK_WORKER_DIR"] = os.path.join(self.logs, "work")
        log = open(os.path.join(self.logs, f"{name}.log"), "wb")  # noqa: SIM115 (the daemon's own)
        with log:
            self.processes.append(
                subprocess.Popen(
                    [os.path.join(home, "bin", "spark-class"), *args],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=env,
                    start_new_session=True,  # its own process group: stopped with its children
                )
            )

    def start(self) -> StandaloneCluster:
        """Start the master and the workers; return once every worker has registered."""
        try:
            self._start(
                "master",
                "org.apache.spark.deploy.master.Master",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--webui-port",
                str(self.ui_port),
            )
            for i in range(self.workers):
                self._start(
                    f"worker-{i}",
                    "org.apache.spark.deploy.worker.Worker",
                    "--host",
                    "127.0.0.1",
                    "--cores",
                    str(self.cores),
                    "--memory",
                    self.memory,
                    "--webui-port",
                    str(_free_port()),
                    self.master_url,
                )
            self._wait()
        except BaseException:
            self.stop()
            raise
        return self

    def alive_workers(self) -> int:
        """How many workers the master counts alive (0 while it is not answering)."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.ui_port}/json/", timeout=2) as r:
                state = json.load(r)
        except OSError:
            return 0
        return int(state.get("aliveworkers", 0))

    def _wait(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.alive_workers() >= self.workers:
                return
            for p in self.processes:
                if p.poll() is not None:
                    raise RuntimeError(f"a Spark daemon exited with {p.returncode}:\n{self.log_tail()}")
            time.sleep(0.5)
        raise RuntimeError(f"the cluster did not come up in {START_TIMEOUT_S:.0f} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 20) -> str:
        """The last ``lines`` lines of each daemon's log."""
        out = []
        for name in sorted(os.listdir(self.logs)):
            path = os.path.join(self.logs, name)
            if os.path.isfile(path):
                with open(path, encoding="utf-8", errors="replace") as fh:
                    out.append(f"--- {name}\n" + "".join(fh.readlines()[-lines:]))
        return "\n".join(out)

    def stop(self) -> None:
        """Stop every daemon (SIGTERM to its process group, then SIGKILL after 10 s) and remove the
        logs; a daemon already gone is skipped, the others are still stopped."""
        for p in reversed(self.processes):
            _signal(p.pid, signal.SIGTERM)
        for p in reversed(self.processes):
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                _signal(p.pid, signal.SIGKILL)
                p.wait()
            _signal(p.pid, signal.SIGKILL)  # what the daemon started, should it have left anything
        self.processes.clear()
        shutil.rmtree(self.logs, ignore_errors=True)

    def __enter__(self) -> StandaloneCluster:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()
