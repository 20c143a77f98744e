"""Serving benchmarks: `python bench/serve_bench.py [--posts 1000] [--duration 10] [--connections 32]`.

wrk drives three servers on loopback with the same connections and
duration, every server pinned to CPU 0 and wrk to CPU 1. All three are
started first; then each case runs against each server in turn, so the idle
servers cost nothing and a burst of other work hits all three alike:
- syndicate: `syndicate serve` on a generated site;
- bare: bench/bare_app.py, a bare Starlette app on the same uvicorn settings,
  answering with the bytes syndicate sent (the framework's ceiling);
- nginx: the same site written by `syndicate build --out`, with .gz files for
  gzip_static (the machine's ceiling).
Cases: /atom.xml plain, gzip and as a 304 (If-None-Match with the ETag that
server gave for the gzip response), and / plain.
"""

from __future__ import annotations

import argparse
import gzip
import os
import re
import shutil
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
    free_port,
    http_get,
    pinned,
    stop,
    text_table,
    wait_until_serving,
)

SERVER_CPU, WRK_CPU = 0, 1
SERVERS = ("syndicate", "bare", "nginx")
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
    results: dict[str, dict[str, WrkResult]] = field(default_factory=dict)  # server -> case -> result
    notes: list[str] = field(default_factory=list)

    def rps(self, server: str, case: str) -> float | None:
        result = self.results.get(server, {}).get(case)
        return result.requests_per_second if result is not None and result.valid else None

    def ratio(self, case: str, against: str) -> float | None:
        ours, theirs = self.rps("syndicate", case), self.rps(against, case)
        return ours / theirs if ours and theirs else None


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


# The three servers


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
    env = {**os.environ, "SYNDICATE_BUILD_INTERVAL": "86400"}  # no rebuild in the middle of a run
    with _serving(
        command, cpu, log, port=port, ready_path="/healthz", timeout=3600, log=log, env=env
    ) as process:
        yield process


@contextmanager
def serving_bare(data: Path, port: int, log: Path, cpu: int | None) -> Iterator[subprocess.Popen[bytes]]:
    command = [PYTHON, str(BENCH_DIR / "bare_app.py"), "--data", str(data), "--port", str(port)]
    with _serving(command, cpu, log, port=port, ready_path="/atom.xml", timeout=60, log=log) as process:
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
) -> ServeResult:
    can_pin = cpu_count() >= 2 and shutil.which("taskset") is not None
    server_cpu, wrk_cpu = (SERVER_CPU, WRK_CPU) if can_pin else (None, None)
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed (Debian package wrk: apt-get install wrk)")
    result = ServeResult(posts, threads, connections, duration, can_pin)
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

        if "bare" in servers:
            data = work / "recorded.json"
            bare_app.save(recording, data)
            ports["bare"] = free_port()
            running.enter_context(serving_bare(data, ports["bare"], work / "bare.log", server_cpu))

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
            result.results[server] = {}
        # Case by case, each server in turn: a burst of load from elsewhere hits all of them alike.
        for case in CASES:
            _progress(f"serve: {case.name}: {duration} s on each of {', '.join(measured)}")
            for server, port in measured.items():
                headers, error = case_headers(port, case)
                outcome = WrkResult(error=error)
                if not error:
                    outcome = run_wrk(port, case.path, headers, duration, threads, connections, wrk_cpu)
                result.results[server][case.name] = outcome
    return result


def _progress(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def _number(value: float | None, pattern: str) -> str:
    return "—" if value is None else pattern.format(value)


def table(result: ServeResult) -> str:
    return "\n".join([text_table(*table_data(result)), *footnotes(result)])


def table_data(result: ServeResult) -> tuple[list[str], list[list[str]]]:
    headers = ["case", *(f"{s} req/s" for s in SERVERS), "syndicate/bare", "syndicate/nginx", "syndicate p99"]
    rows = []
    for case in CASES:
        rps = [_number(result.rps(server, case.name), "{:,.0f}") for server in SERVERS]
        ours = result.results.get("syndicate", {}).get(case.name)
        p99 = f"{ours.p99_ms:.1f} ms" if ours is not None and ours.valid else "—"
        rows.append(
            [
                case.name,
                *rps,
                _number(result.ratio(case.name, "bare"), "{:.2f}"),
                _number(result.ratio(case.name, "nginx"), "{:.2f}"),
                p99,
            ]
        )
    return headers, rows


def footnotes(result: ServeResult) -> list[str]:
    """Invalid runs, notes, and the set-up, one line each."""
    lines = []
    for server, cases in result.results.items():
        for name, outcome in cases.items():
            if not outcome.valid:
                problem = outcome.error or (
                    f"{outcome.non_2xx_3xx} non-2xx/3xx responses, {outcome.socket_errors} socket errors"
                )
                lines.append(f"invalid: {server} {name}: {problem}")
    lines += [f"note: {note}" for note in result.notes]
    setup = f"wrk -t{result.threads} -c{result.connections} -d{result.duration}s"
    pinning = "server on CPU 0, wrk on CPU 1" if result.pinned else "not pinned"
    lines.append(f"{setup}, {result.posts:,} posts, {pinning}")
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
    parser.add_argument("--servers", default=",".join(SERVERS), help="any of syndicate,bare,nginx")
    args = parser.parse_args(argv)
    servers = tuple(s for s in args.servers.split(",") if s)
    unknown = set(servers) - set(SERVERS)
    if unknown:
        parser.error(f"unknown servers: {', '.join(sorted(unknown))}")
    result = run(args.posts, args.site, args.duration, args.connections, args.threads, args.warmup, servers)
    print(table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
