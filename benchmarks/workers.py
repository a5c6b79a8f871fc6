"""Worker processes under measurement: ``samflyt worker`` subprocesses configured through the
environment, with CPU time and memory read from ``/proc`` (Linux) while they run."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from streams.settings import Settings

_ENV_FIELDS = (
    "kafka_bootstrap",
    "topic_prefix",
    "app_id",
    "partitions",
    "processing_guarantee",
    "commit_interval_seconds",
    "max_poll_records",
    "producer_linger_ms",
    "producer_max_batch_bytes",
    "environment",
    "event_loop",
    "producer_compression",
    "consumer_fetch_min_bytes",
    "consumer_fetch_max_wait_ms",
    "kafka_session_timeout_seconds",
    "kafka_heartbeat_interval_seconds",
    "kafka_security_protocol",
    "kafka_sasl_mechanism",
    "kafka_ssl_cafile",
    "kafka_credentials_dir",
)
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def worker_env(settings: Settings, metrics_port: int = 0) -> dict[str, str]:
    """The ``SAMFLYT_*`` environment that makes a worker use exactly these settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAMFLYT_")}
    for name in _ENV_FIELDS:
        if getattr(settings, name) is not None:
            env[f"SAMFLYT_{name.upper()}"] = str(getattr(settings, name))
    env["SAMFLYT_DATABASE_URL"] = settings.database_url.get_secret_value()
    env["SAMFLYT_PATIENT_KEY_SECRET"] = settings.patient_key_secret.get_secret_value()
    env["SAMFLYT_WORKER_WEB_PORT"] = "0"
    env["SAMFLYT_METRICS_PORT"] = str(metrics_port)
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def worker_command(profile_to: Path | None = None) -> list[str]:
    exe = Path(sys.executable)
    if profile_to is not None:
        return [str(exe), "-m", "pyinstrument", "-r", "text", "-o", str(profile_to),
                "-m", "streams.cli", "worker", "--loglevel", "WARNING"]  # fmt: skip
    script = exe.parent / "samflyt"
    base = [str(script)] if script.exists() else [str(exe), "-m", "streams.cli"]
    return [*base, "worker", "--loglevel", "INFO"]


@dataclass
class ProcSample:
    cpu_s: float  # user + system
    rss_kb: int
    peak_rss_kb: int


def sample(pid: int) -> ProcSample | None:
    """CPU seconds and memory of one process from /proc, or None once it has gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()
    cpu = (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS  # utime, stime
    mem = {
        line.split(":")[0]: int(line.split()[1])
        for line in status.splitlines()
        if line.startswith(("VmRSS", "VmHWM"))
    }
    return ProcSample(cpu, mem.get("VmRSS", 0), mem.get("VmHWM", 0))


def machine_cpu_s() -> float:
    """CPU seconds spent by the whole machine (all cores, busy time) since boot."""
    parts = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in parts[:8])
    return (user + nice + system + irq + softirq + steal) / _CLOCK_TICKS


@dataclass
class WorkerGroup:
    """N worker processes sharing one app id (Kafka spreads the partitions between them)."""

    settings: Settings
    count: int
    log_dir: Path
    profile_first_to: Path | None = None
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    metrics_ports: list[int] = field(default_factory=list)
    logs: list[IO[bytes]] = field(default_factory=list)
    static_membership: bool = False  # each worker its own SAMFLYT_WORKER_INSTANCE_ID

    def start(self) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        for i in range(self.count):
            self.procs.append(self._spawn(i))

    def restart(self, i: int) -> None:
        """Start worker ``i`` again (after it stopped or was killed), as a supervisor would:
        same instance id, same log file (appended)."""
        self.procs[i] = self._spawn(i)

    def _spawn(self, i: int) -> subprocess.Popen[bytes]:
        if i == len(self.metrics_ports):
            self.metrics_ports.append(free_port())
        profile = self.profile_first_to if i == 0 else None
        log = (self.log_dir / f"worker-{i}.log").open("ab")
        env = worker_env(self.settings, self.metrics_ports[i])
        if self.static_membership:
            env["SAMFLYT_WORKER_INSTANCE_ID"] = f"{self.settings.app_id}-{i}"
        proc = subprocess.Popen(
            worker_command(profile),
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.logs.append(log)
        return proc

    def check_alive(self) -> None:
        for i, proc in enumerate(self.procs):
            if proc.poll() is not None:
                tail = (self.log_dir / f"worker-{i}.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"worker {i} exited with {proc.returncode}:\n{tail}")

    def samples(self) -> list[ProcSample | None]:
        return [sample(p.pid) for p in self.procs]

    def cpu_s(self) -> float:
        return sum(s.cpu_s for s in self.samples() if s is not None)

    def peak_rss_mb(self) -> float:
        return max((s.peak_rss_kb for s in self.samples() if s is not None), default=0) / 1024

    def rss_mb(self) -> float:
        return sum(s.rss_kb for s in self.samples() if s is not None) / 1024

    def stop(self, timeout: float = 30.0) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for proc in self.procs:
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for log in self.logs:
            log.close()
        self.logs.clear()
