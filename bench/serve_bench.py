"""Serving benchmarks: `python bench/serve_bench.py [--posts 1000] [--duration 10] [--rounds 3]`.

wrk drives four servers on loopback with the same connections and duration,
every server pinned to CPU 0 and wrk to CPU 1. All four are started first;
then, round after round, each case runs against each server in turn, so the
idle servers cost nothing and a burst of other work hits all of them alike:
- syndicate: `syndicate serve` on a generated site;
- bare: bench/bare_app.py, a bare Starlette app on uvicorn[standard]'s stack
  (httptools, uvloop), answering with the bytes syndicate sent;
- granian: the same bare app on granian (Rust HTTP, ASGI, one worker), from
  bench/.venv-granian (requirements-granian.txt);
- nginx: the same site written by `syndicate build --out`, with .gz files for
  gzip_static (the machine's ceiling).
Cases: /atom.xml plain, gzip and as a 304 (If-None-Match with the ETag that
server gave for the gzip response), and / plain. A ratio is the median of
the rounds' ratios, each taken between runs a few seconds apart.
"""

from __future__ import annotations

import argparse
import gzip
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import bare_app
import gen_store
from harness import (
    BENCH_DIR,
    PYTHON,
    cpu_count,
    ensure_venv,
    free_port,
    http_get,
    pinned,
    stop,
    text_table,
    wait_until_serving,
)

SERVER_CPU, WRK_CPU = 0, 1
SERVERS = ("syndicate", "bare", "granian", "nginx")
PEERS = SERVERS[1:]  # what syndicate is measured against
GRANIAN_VENV = BENCH_DIR / ".venv-granian"
GRANIAN_REQUIREMENTS = BENCH_DIR / "requirements-granian.txt"
GZIP_SUFFIXES = (".html", ".xml", ".json", ".css", ".svg")


@dataclass(frozen=True)
class Case:
    name: str
    path: str
    gzip: bool = False
    conditional: bool = False  # If-None-Match: the server's own ETag for this request

    @property
    def expected_status(self) -> int:
        return 304 if self.conditional else 200


CASES = (
    Case("atom plain", "/atom.xml"),
    Case("atom gzip", "/atom.xml", gzip=True),
    Case("atom 304", "/atom.xml", gzip=True, conditional=True),
    Case("/ plain", "/"),
)


@dataclass
class WrkResult:
    requests_per_second: float = 0.0
    requests: int = 0
    non_2xx_3xx: int = 0
    socket_errors: int = 0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    error: str = ""  # why this number is not valid, if it is not

    @property
    def valid(self) -> bool:
        return not self.error and self.requests > 0 and self.non_2xx_3xx == 0 and self.socket_errors == 0


@dataclass
class ServeResult:
    posts: int
    threads: int
    connections: int
    duration: int
    pinned: bool
    rounds: int = 1
    results: dict[str, dict[str, list[WrkResult]]] = field(default_factory=dict)  # server -> case -> rounds
    notes: list[str] = field(default_factory=list)

    def runs(self, server: str, case: str) -> list[WrkResult]:
        return self.results.get(server, {}).get(case, [])

    def rps(self, server: str, case: str) -> float | None:
        """The median requests per second over the rounds; None unless every round was valid."""
        runs = self.runs(server, case)
        if not runs or not all(run.valid for run in runs):
            return None
        return statistics.median(run.requests_per_second for run in runs)

    def round_ratios(self, case: str, against: str) -> list[float]:
        """syndicate / `against` in each round where both runs were valid."""
        pairs = zip(self.runs("syndicate", case), self.runs(against, case), strict=False)
        return [
            ours.requests_per_second / theirs.requests_per_second
            for ours, theirs in pairs
            if ours.valid and theirs.valid
        ]

    def ratio(self, case: str, against: str) -> float | None:
        """The median of the rounds' ratios; None if a round of either was invalid."""
        if self.rps("syndicate", case) is None or self.rps(against, case) is None:
            return None
        return statistics.median(self.round_ratios(case, against))


# wrk


def parse_wrk(output: str) -> WrkResult:
    result = WrkResult()
    if match := re.search(r"^Requests/sec:\s+([\d.]+)", output, re.MULTILINE):
        result.requests_per_second = float(match.group(1))
    else:
        result.error = "wrk printed no Requests/sec line"
    if match := re.search(r"^\s*(\d+) requests in", output, re.MULTILINE):
        result.requests = int(match.group(1))
    if match := re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output):
        result.non_2xx_3xx = int(match.group(1))
    if match := re.search(r"Socket errors:(.*)", output):
        result.socket_errors = sum(int(n) for n in re.findall(r"\d+", match.group(1)))
    for percent, attribute in (("50", "p50_ms"), ("99", "p99_ms")):
        if match := re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s)\b", output, re.MULTILINE):
            scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[match.group(2)]
            setattr(result, attribute, float(match.group(1)) * scale)
    return result


def run_wrk(
    port: int,
    path: str,
    headers: dict[str, str],
    duration: int,
    threads: int,
    connections: int,
    cpu: int | None,
) -> WrkResult:
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    command.append(f"http://127.0.0.1:{port}{path}")
    try:
        done = subprocess.run(
            pinned(command, cpu), capture_output=True, text=True, timeout=duration + 60, check=False
        )
    except subprocess.TimeoutExpired:
        return WrkResult(error="wrk did not finish in time")
    result = parse_wrk(done.stdout)
    if done.returncode != 0:
        result.error = f"wrk exited with {done.returncode}: {done.stderr.strip()[:200]}"
    return result


def case_headers(port: int, case: Case) -> tuple[dict[str, str], str]:
    """The headers of `case` on this server, and an error if one request does not answer as expected."""
    headers = {"Accept-Encoding": "gzip"} if case.gzip else {}
    if case.conditional:
        etag = http_get(port, case.path, headers).headers.get("etag")
        if not etag:
            return headers, "no ETag to revalidate with"
        headers["If-None-Match"] = etag
    reply = http_get(port, case.path, headers)
    if reply.status != case.expected_status:
        return headers, f"answered {reply.status}, expected {case.expected_status}"
    if case.gzip and not case.conditional and reply.headers.get("content-encoding") != "gzip":
        return headers, "answered without gzip"
    return headers, ""


# The four servers


@contextmanager
def _serving(
    command: list[str],
    cpu: int | None,
    output: Path,
    *,
    port: int,
    ready_path: str,
    timeout: float,
    log: Path,
    env: dict[str, str] | None = None,
) -> Iterator[subprocess.Popen[bytes]]:
    """Start a server pinned to `cpu`, wait until `ready_path` answers, stop it afterwards."""
    with output.open("wb") as out:
        process = subprocess.Popen(pinned(command, cpu), stdout=out, stderr=subprocess.STDOUT, env=env)
        try:
            wait_until_serving(port, ready_path, process, timeout=timeout, log=log)
            yield process
        finally:
            stop(process)


@contextmanager
def serving_syndicate(
    config: Path, port: int, log: Path, cpu: int | None
) -> Iterator[subprocess.Popen[bytes]]:
    command = [PYTHON, "-m", "syndicate.cli", "serve", "--config", str(config), "--port", str(port)]
    env = {
        **os.environ,
        "SYNDICATE_BUILD_INTERVAL": "86400",  # no rebuild in the middle of a run
        # wrk is one client fetching a feed thousands of times a second, which is what the
        # polling limit refuses (429): measured here is serving, every request noted as usual.
        "SYNDICATE_SERVER_POLL_ALLOWANCE": "0",
    }
    with _serving(
        command, cpu, log, port=port, ready_path="/healthz", timeout=3600, log=log, env=env
    ) as process:
        yield process


@contextmanager
def serving_bare(data: Path, port: int, log: Path, cpu: int | None) -> Iterator[subprocess.Popen[bytes]]:
    command = [PYTHON, str(BENCH_DIR / "bare_app.py"), "--data", str(data), "--port", str(port)]
    with _serving(command, cpu, log, port=port, ready_path="/atom.xml", timeout=60, log=log) as process:
        yield process


@contextmanager
def serving_granian(data: Path, port: int, log: Path, cpu: int | None) -> Iterator[subprocess.Popen[bytes]]:
    """The bare app on granian, as its README runs an ASGI app: one worker, uvloop."""
    granian = ensure_venv(GRANIAN_VENV, GRANIAN_REQUIREMENTS) / "bin" / "granian"
    command = [
        str(granian), "--interface", "asgi", "--workers", "1", "--loop", "uvloop",
        "--host", "127.0.0.1", "--port", str(port), "--no-ws",
        "--working-dir", str(BENCH_DIR), "--factory", "bare_app:from_environment",
    ]  # fmt: skip
    env = {**os.environ, bare_app.DATA_ENV: str(data)}
    with _serving(
        command, cpu, log, port=port, ready_path="/atom.xml", timeout=60, log=log, env=env
    ) as process:
        yield process


def nginx_config(root: Path, port: int, prefix: Path) -> str:
    temp = "\n".join(
        f"    {kind}_temp_path {prefix / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""daemon off;
worker_processes 1;
pid {prefix / "nginx.pid"};
error_log {prefix / "error.log"} warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
{temp}
    types {{
        text/html html;
        text/css css;
        application/xml xml;
        application/json json;
        image/svg+xml svg;
    }}
    default_type application/octet-stream;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    server {{
        listen 127.0.0.1:{port};
        root {root};
        index index.html;
        gzip_static on;
    }}
}}
"""


@contextmanager
def serving_nginx(root: Path, port: int, prefix: Path, cpu: int | None) -> Iterator[subprocess.Popen[bytes]]:
    prefix.mkdir(parents=True, exist_ok=True)
    config = prefix / "nginx.conf"
    config.write_text(nginx_config(root, port, prefix), encoding="utf-8")
    log = prefix / "error.log"
    command = ["nginx", "-p", str(prefix), "-c", str(config), "-e", str(log)]
    output = prefix / "stdout.log"
    with _serving(command, cpu, output, port=port, ready_path="/atom.xml", timeout=60, log=log) as process:
        yield process


def write_gzip_files(root: Path) -> int:
    """Beside every text file, its .gz, as gzip_static wants (the level syndicate uses)."""
    count = 0
    for path in root.rglob("*"):
        if path.is_file() and path.suffix in GZIP_SUFFIXES:
            gz = path.with_name(path.name + ".gz")
            gz.write_bytes(gzip.compress(path.read_bytes(), compresslevel=9, mtime=0))
            gz.chmod(0o644)
            count += 1
    return count


def record(port: int, paths: tuple[str, ...]) -> bare_app.Recording:
    """The bytes and ETags a running server sends for `paths`, plain and gzipped."""
    recording: bare_app.Recording = {}
    for path in paths:
        variants = {}
        for encoding in ("identity", "gzip"):
            reply = http_get(port, path, {"Accept-Encoding": encoding})
            if reply.status != 200:
                raise RuntimeError(f"{path}: syndicate answered {reply.status}")
            sent = reply.headers.get("content-encoding", "identity")
            media_type = reply.headers.get("content-type", "application/octet-stream")
            variants[sent] = bare_app.Recorded(reply.body, reply.headers.get("etag", ""), media_type, sent)
        recording[path] = variants
    return recording


# The benchmark


def run(
    posts: int = 1000,
    site: Path | None = None,
    duration: int = 10,
    connections: int = 32,
    threads: int = 1,
    warmup: int = 2,
    servers: tuple[str, ...] = SERVERS,
    seed: int = 1,
    rounds: int = 3,
) -> ServeResult:
    can_pin = cpu_count() >= 2 and shutil.which("taskset") is not None
    server_cpu, wrk_cpu = (SERVER_CPU, WRK_CPU) if can_pin else (None, None)
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed (Debian package wrk: apt-get install wrk)")
    result = ServeResult(posts, threads, connections, duration, can_pin, rounds)
    if not can_pin:
        result.notes.append("not pinned: fewer than 2 CPUs or no taskset; server and wrk share CPUs")

    with tempfile.TemporaryDirectory(prefix="syndicate-serve-") as scratch, ExitStack() as running:
        work = Path(scratch)
        work.chmod(0o755)  # nginx's worker runs as nobody and must read the site
        if site is None:
            _progress(f"serve: generating {posts:,} posts")
            site = gen_store.generate(posts, work / "site", seed).site
        config = site / gen_store.CONFIG_NAME
        ports: dict[str, int] = {}  # every server waits, idle, while another is measured

        _progress("serve: syndicate: first build, then serving")
        ports["syndicate"] = free_port()
        running.enter_context(
            serving_syndicate(config, ports["syndicate"], work / "syndicate.log", server_cpu)
        )
        recording = record(ports["syndicate"], tuple(sorted({case.path for case in CASES})))

        data = work / "recorded.json"
        bare_app.save(recording, data)
        if "bare" in servers:
            ports["bare"] = free_port()
            running.enter_context(serving_bare(data, ports["bare"], work / "bare.log", server_cpu))
        if "granian" in servers:
            _progress("serve: granian: the bare app")
            ports["granian"] = free_port()
            running.enter_context(serving_granian(data, ports["granian"], work / "granian.log", server_cpu))

        if "nginx" in servers and shutil.which("nginx") is None:
            result.notes.append("nginx skipped: not installed (Debian package nginx)")
        elif "nginx" in servers:
            _progress("serve: nginx: writing the site with syndicate build --out")
            out = work / "out"
            build = [PYTHON, "-m", "syndicate.cli", "build", "--config", str(config), "--out", str(out)]
            subprocess.run(build, check=True, stdout=subprocess.DEVNULL)
            write_gzip_files(out.resolve())
            ports["nginx"] = free_port()
            running.enter_context(serving_nginx(out, ports["nginx"], work / "nginx", server_cpu))
            if http_get(ports["nginx"], "/atom.xml").body != recording["/atom.xml"]["identity"].body:
                result.notes.append("nginx's /atom.xml differs from syndicate's (built at another time?)")

        measured = {server: port for server, port in ports.items() if server in servers}
        for server, port in measured.items():
            _progress(f"serve: {server}: {warmup} s of warm-up")
            run_wrk(port, "/atom.xml", {}, warmup, threads, connections, wrk_cpu)
            result.results[server] = {case.name: [] for case in CASES}
        # Round by round, case by case, each server in turn: a burst of load from elsewhere
        # hits all of them alike, and each ratio is taken between runs seconds apart.
        for number in range(rounds):
            for case in CASES:
                _progress(
                    f"serve: round {number + 1} of {rounds}: {case.name}: "
                    f"{duration} s on each of {', '.join(measured)}"
                )
                for server, port in measured.items():
                    result.results[server][case.name].append(
                        _measure(port, case, duration, threads, connections, wrk_cpu)
                    )
    return result


def _measure(
    port: int, case: Case, duration: int, threads: int, connections: int, cpu: int | None
) -> WrkResult:
    """One wrk run of `case`, after one request checked that the server answers it as expected."""
    headers, error = case_headers(port, case)
    if error:
        return WrkResult(error=error)
    return run_wrk(port, case.path, headers, duration, threads, connections, cpu)


def _progress(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def _number(value: float | None, pattern: str) -> str:
    return "—" if value is None else pattern.format(value)


def table(result: ServeResult) -> str:
    return "\n".join([text_table(*table_data(result)), *footnotes(result)])


def table_data(result: ServeResult) -> tuple[list[str], list[list[str]]]:
    headers = [
        "case",
        *(f"{s} req/s" for s in SERVERS),
        *(f"syndicate/{peer}" for peer in PEERS),
        "syndicate p99",
    ]
    rows = []
    for case in CASES:
        rps = [_number(result.rps(server, case.name), "{:,.0f}") for server in SERVERS]
        ratios = [_number(result.ratio(case.name, peer), "{:.2f}") for peer in PEERS]
        ours = [run.p99_ms for run in result.runs("syndicate", case.name) if run.valid]
        p99 = f"{statistics.median(ours):.1f} ms" if ours else "—"
        rows.append([case.name, *rps, *ratios, p99])
    return headers, rows


def spread(result: ServeResult) -> list[str]:
    """How far the rounds' ratios to the bare app spread: the noise in each case's number."""
    lines = []
    for case in CASES:
        for peer in ("bare", "granian"):
            ratios = result.round_ratios(case.name, peer)
            if len(ratios) > 1:
                lines.append(f"{case.name}, syndicate/{peer}: rounds {min(ratios):.2f} to {max(ratios):.2f}")
    return lines


def footnotes(result: ServeResult) -> list[str]:
    """Invalid runs, notes, and the set-up, one line each."""
    lines = []
    for server, cases in result.results.items():
        for name, runs in cases.items():
            for number, outcome in enumerate(runs, 1):
                if not outcome.valid:
                    problem = outcome.error or (
                        f"{outcome.non_2xx_3xx} non-2xx/3xx responses, {outcome.socket_errors} socket errors"
                    )
                    lines.append(f"invalid: {server} {name} round {number}: {problem}")
    lines += [f"note: {note}" for note in result.notes]
    lines += spread(result)
    setup = f"wrk -t{result.threads} -c{result.connections} -d{result.duration}s"
    pinning = "server on CPU 0, wrk on CPU 1" if result.pinned else "not pinned"
    lines.append(f"{setup}, {result.rounds} rounds, {result.posts:,} posts, {pinning}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--posts", type=int, default=1000, help="size of the generated site (default 1000)")
    parser.add_argument("--site", type=Path, help="serve this site folder instead (its syndicate.toml)")
    parser.add_argument("--duration", type=int, default=10, help="seconds of each wrk run (default 10)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up per server (default 2)")
    parser.add_argument(
        "--rounds", type=int, default=3, help="runs of every case on every server (default 3)"
    )
    parser.add_argument("--servers", default=",".join(SERVERS), help=f"any of {','.join(SERVERS)}")
    args = parser.parse_args(argv)
    servers = tuple(s for s in args.servers.split(",") if s)
    unknown = set(servers) - set(SERVERS)
    if unknown:
        parser.error(f"unknown servers: {', '.join(sorted(unknown))}")
    result = run(
        args.posts, args.site, args.duration, args.connections, args.threads, args.warmup, servers,
        rounds=args.rounds,
    )  # fmt: skip
    print(table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
