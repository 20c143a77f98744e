"""Small pieces every benchmark shares: samples, tables, processes, HTTP, the machine."""

from __future__ import annotations

import dataclasses
import hashlib
import http.client
import os
import platform
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from syndicate.config import BuildConfig

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
PYTHON = sys.executable  # the interpreter running the harness: the project's venv
CACHE_ENV = "SYNDICATE_BUILD_CACHE_DIR"


@dataclass
class Sample:
    """Repeated measurements of one thing, in seconds (or any one unit)."""

    values: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def min(self) -> float:
        return min(self.values)


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def peak_worker_rss_bytes() -> int:
    """The peak resident set size of the largest child process this one waited for (workers)."""
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def tree_pss_bytes(pid: int) -> int:
    """The proportional set size of a process and all its descendants: the memory they use
    between them, each page they share counted once. 0 where /proc cannot tell."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue  # ended meanwhile
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        todo += children.get(current, [])
        try:
            for line in Path(f"/proc/{current}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            pass
    return total


def peak_rss_bytes() -> int:
    """This process's peak resident set size: VmHWM where /proc has it, else getrusage."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    # ru_maxrss is in KiB on Linux, bytes on macOS.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def ensure_venv(venv: Path, requirements: Path) -> Path:
    """`venv` with exactly the pins of `requirements` installed (made or updated when they changed)."""
    wanted = requirements.read_text(encoding="utf-8")
    stamp = venv / ".installed"
    if stamp.exists() and stamp.read_text(encoding="utf-8") == wanted:
        return venv
    print(f"[bench] installing {requirements.name} into {venv}", file=sys.stderr, flush=True)
    if not (venv / "bin" / "python").exists():
        subprocess.run([PYTHON, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "-r", str(requirements)], check=True)
    stamp.write_text(wanted, encoding="utf-8")
    return venv


def parse_sizes(text: str) -> list[int]:
    """ "1000,10000" (or "10_000") as a list of post counts."""
    return [int(part.replace("_", "")) for part in text.split(",") if part.strip()]


def cache_env(cache_dir: Path) -> dict[str, str]:
    """The variable giving syndicate a render cache, once its configuration has `build.cache_dir`."""
    if "cache_dir" in {f.name for f in dataclasses.fields(BuildConfig)}:
        return {CACHE_ENV: str(cache_dir)}
    return {}


def format_seconds(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.1f} ms"
    return f"{seconds:.2f} s"


def format_bytes(size: float) -> str:
    if size >= 2**30:
        return f"{size / 2**30:.2f} GiB"
    return f"{size / 2**20:.0f} MiB"


def text_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A plain table for the terminal, columns padded to their widest cell."""
    widths = [max(len(str(row[i])) for row in [headers, *rows]) for i in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(str(cell).ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([line(headers), rule, *(line(row) for row in rows)])


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"

    return "\n".join([line(headers), line(["---"] * len(headers)), *(line(row) for row in rows)])


# Processes and HTTP


@dataclass(frozen=True)
class ProcessRun:
    """One run of a program, measured from outside."""

    wall: float  # seconds from spawn to exit
    cpu: float  # user + system seconds of it and every child it waited for
    max_rss: int  # bytes: the peak resident set of its largest single process (ru_maxrss)
    tree_pss: int  # bytes: the peak of its processes' proportional set sizes together, sampled


def run_measured(
    command: Sequence[str], cwd: Path | None = None, env: Mapping[str, str] | None = None, every: float = 0.5
) -> ProcessRun:
    """Run `command` to completion (it must succeed): wall time from wait4, memory sampled by a
    thread of this process meanwhile, so the wall time ends when the program does."""
    peak = [0]
    done = threading.Event()

    def sample(pid: int) -> None:
        while not done.wait(every):
            peak[0] = max(peak[0], tree_pss_bytes(pid))

    with tempfile.TemporaryFile() as errors:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=errors)
        sampler = threading.Thread(target=sample, args=(process.pid,), daemon=True)
        sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        done.set()
        sampler.join()
        if process.returncode != 0:
            errors.seek(0)
            tail = errors.read().decode(errors="replace").strip()[-800:]
            raise RuntimeError(f"{Path(command[0]).name} failed ({process.returncode}): {tail}")
    scale = 1 if sys.platform == "darwin" else 1024
    return ProcessRun(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * scale, peak[0])


@dataclass(frozen=True)
class Tool:
    """A program that builds a site to files, ready to run: what peers_bench.py times."""

    name: str
    command: list[str]
    out: Path  # the folder it writes
    reset: Callable[[], None]  # removes what a run left, so the next run is a first build
    cwd: Path | None = None
    env: Mapping[str, str] | None = None
    version: str = ""


def files_under(folder: Path) -> int:
    """How many files a build wrote into `folder` (a symlink to the real folder is followed)."""
    return sum(1 for path in folder.resolve().rglob("*") if path.is_file())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pinned(command: Sequence[str], cpu: int | None) -> list[str]:
    """`command` pinned to one CPU with taskset, when there is a CPU to pin to."""
    if cpu is None:
        return list(command)
    return ["taskset", "-c", str(cpu), *command]


def stop(process: subprocess.Popen[bytes], grace: float = 10.0) -> None:
    """End a process this harness started: SIGTERM, then SIGKILL after `grace` seconds."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@dataclass(frozen=True)
class Reply:
    status: int
    headers: Mapping[str, str]  # lower-cased names
    body: bytes


def http_get(port: int, path: str, headers: Mapping[str, str] | None = None, timeout: float = 30) -> Reply:
    """One GET on loopback; any status is a reply (urllib would raise on 304 and 404)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path, headers=dict(headers or {}))
        response = connection.getresponse()
        body = response.read()
        return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, body)
    finally:
        connection.close()


def wait_until_serving(
    port: int, path: str, process: subprocess.Popen[bytes], timeout: float, log: Path | None = None
) -> float:
    """Seconds until `path` answers 200; raises if the process dies or time runs out."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if process.poll() is not None:
            detail = f"; its log: {log}" if log else ""
            raise RuntimeError(f"server exited with {process.returncode} before serving{detail}")
        try:
            if http_get(port, path, timeout=2).status == 200:
                return time.monotonic() - started
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"nothing served on port {port} within {timeout:.0f} s")


def run_text(command: Sequence[str], cwd: Path | None = None) -> str:
    try:
        done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    except OSError:
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def source_fingerprint() -> str:
    """A hash of every file under src/: the same before and after a run unless syndicate was edited."""
    digest = hashlib.sha256()
    for path in sorted((REPO / "src").rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(REPO)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def machine_info() -> dict[str, object]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        model = platform.processor()
    return {
        "machine": run_text(["uname", "-m"]) or platform.machine(),
        "nproc": cpu_count(),
        "cpu_model": model,
        "python": platform.python_version(),
        "git_commit": run_text(["git", "rev-parse", "HEAD"], cwd=REPO),
        "git_dirty": bool(run_text(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO)),
        "src_fingerprint": source_fingerprint(),
    }
