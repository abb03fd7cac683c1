"""Traefik's overhead on the lab: latency and throughput through Traefik against straight to the app.

Measured side by side in one run with wrk (Debian's package), runs alternated round by round:
  direct    http://10.77.0.21:8069/web/health on lab-app1 (the Odoo stand-in, instance prod, through
            the port Docker publishes there), Host: erp.odoo-lab.test;
  traefik   https://erp.odoo-lab.test/web/health through Traefik on lab-edge1 (10.77.0.11:443): TLS
            with SNI erp.odoo-lab.test (the role sets sniStrict: a handshake without it is refused),
            the router, its middlewares, then the same backend.
wrk cannot be told an address for a name: its Lua script overrides wrk.resolve, so the URL keeps the
real name (SNI and Host header) while the connections go to 10.77.0.11. Nothing is edited on the host.
References (Traefik answers by itself, no app behind): a 403 from the database-manager block over
HTTPS, and the 301 redirect of the HTTP entry point; their difference approximates the TLS cost.
Targets: added p50 <= 0.5 ms, throughput >= 85 % of direct.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HOST_NAME = "erp.odoo-lab.test"
EDGE, EDGE_IP = "lab-edge1", "10.77.0.11"
APP_IP, APP_PORT = "10.77.0.21", 8069
LAB_CA = Path(os.environ.get("ODOO_CLOUD_LAB_CACHE", "/var/cache/odoo-cloud-lab")) / "ca" / "lab-ca.crt"
ADDED_P50_MS, THROUGHPUT_RATIO = 0.5, 0.85


class Target:  # pylint: disable=too-few-public-methods
    """One wrk target: URL (whose host gives SNI and Host), address to connect to, expected status."""

    def __init__(self, name: str, label: str, url: str, connect_to: str = "", host_header: str = "", status: int = 200):
        self.name, self.label, self.url = name, label, url
        self.connect_to, self.host_header, self.status = connect_to, host_header, status


TARGETS = {
    "direct": Target("direct", "direct to the app (HTTP, docker-proxy)", f"http://{APP_IP}:{APP_PORT}/web/health",
                     host_header=HOST_NAME),
    "traefik": Target("traefik", "through Traefik (HTTPS)", f"https://{HOST_NAME}/web/health", connect_to=EDGE_IP),
    "tls-local": Target("tls-local", "Traefik alone, HTTPS 403 (no app)", f"https://{HOST_NAME}/web/database/manager",
                        connect_to=EDGE_IP, status=403),
    "http-local": Target("http-local", "Traefik alone, HTTP 301 (no app, no TLS)", f"http://{EDGE_IP}/web/health",
                         host_header=HOST_NAME, status=301),
}

# Lua for wrk: connect to a fixed address (keeping the URL's name), optional Host header, and a JSON
# line with the figures at the end (latency in microseconds, over every request of the run).
LUA = """\
local connect_to = "%(connect_to)s"
if connect_to ~= "" then
  wrk.resolve = function(host, service)
    wrk.addrs = wrk.lookup(connect_to, service)
  end
end
local host_header = "%(host_header)s"
if host_header ~= "" then
  wrk.headers["Host"] = host_header
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %%.0f, "duration_us": %%.0f, "p50_us": %%.0f, "p90_us": %%.0f, "p99_us": %%.0f, ' ..
    '"max_us": %%.0f, "connect": %%.0f, "read": %%.0f, "write": %%.0f, "status": %%.0f, "timeout": %%.0f}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
"""


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def molecule_containers() -> list[str]:
    """Names of running molecule-* containers (other work sharing the machine), read only."""
    res = subprocess.run(["docker", "ps", "--filter", "name=^molecule-", "--format", "{{.Names}}"],
                         capture_output=True, text=True, timeout=30, check=False)
    return sorted(res.stdout.split())


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0:
        raise RuntimeError("wrk is missing: apt-get install -y wrk (Debian's package)")
    log("installing wrk from Debian's archive")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], env=env, capture_output=True, timeout=600, check=False).returncode:
        subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True, timeout=600, check=True)
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], env=env, capture_output=True, timeout=600, check=True)
    return shutil.which("wrk") or "wrk"


def http_sequence(target: Target, count: int) -> tuple[int, list[float], list[float]]:
    """COUNT requests one after the other on one keep-alive connection (the first not counted): the
    status of the last, and per request the ms to the first response byte and to the whole response."""
    scheme, rest = target.url.split("://", 1)
    host_port, path = rest.split("/", 1)
    host, port = (host_port.split(":", 1) + [""])[:2]
    port_number = int(port or (443 if scheme == "https" else 80))
    sock = socket.create_connection((target.connect_to or host, port_number), timeout=10)
    if scheme == "https":
        # Verified against the lab CA: proves the name reached Traefik with the lab's certificate.
        sock = ssl.create_default_context(cafile=str(LAB_CA)).wrap_socket(sock, server_hostname=host)
    request = f"GET /{path} HTTP/1.1\r\nHost: {target.host_header or host}\r\nUser-Agent: bench\r\n\r\n".encode()
    first, whole, status = [], [], 0
    with sock:
        for i in range(count + 1):
            start = time.perf_counter()
            sock.sendall(request)
            data = sock.recv(65536)
            t_first = time.perf_counter()
            while b"\r\n\r\n" not in data:
                data += sock.recv(65536)
            head, body = data.split(b"\r\n\r\n", 1)
            status = int(head.split()[1])
            found = re.search(rb"(?im)^content-length:\s*(\d+)", head)
            length = int(found.group(1)) if found else 0
            while len(body) < length:
                body += sock.recv(65536)
            t_done = time.perf_counter()
            if i:
                first.append((t_first - start) * 1000)
                whole.append((t_done - start) * 1000)
    return status, first, whole


def wrk_run(wrk: str, target: Target, args: argparse.Namespace, seconds: float, workdir: Path) -> dict:
    script = workdir / f"{target.name}.lua"
    script.write_text(LUA % {"connect_to": target.connect_to, "host_header": target.host_header})
    cmd = [wrk, "-t", str(args.threads), "-c", str(args.connections), "-d", f"{seconds:g}s", "--timeout", "5s",
           "-s", str(script), target.url]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60, check=False)
    found = re.search(r"^WRKJSON (.*)$", res.stdout, re.MULTILINE)
    if res.returncode or not found:
        raise RuntimeError(f"wrk {target.name} failed (rc {res.returncode}): {res.stdout}{res.stderr}")
    result = json.loads(found.group(1))
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    # wrk counts status >= 400 as errors: expected for the 403 reference.
    bad_status = result["status"] if target.status < 400 else result["requests"] - result["status"]
    result["errors"] = result["connect"] + result["read"] + result["write"] + result["timeout"] + bad_status
    log(f"{target.name}: {result['rps']:.0f} req/s, p50 {result['p50_us'] / 1000:.2f} ms, "
        f"p99 {result['p99_us'] / 1000:.2f} ms, errors {result['errors']}")
    return result


def versions(wrk: str) -> dict[str, str]:
    def out(*cmd: str) -> str:
        res = subprocess.run(list(cmd), capture_output=True, text=True, timeout=60, check=False)
        return (res.stdout + res.stderr).strip()

    traefik_image = out("docker", "exec", EDGE, "docker", "inspect", "-f", "{{.Config.Image}}", "traefik")
    return {
        "wrk": (out(wrk, "-v").split() or ["", "?"])[1],
        "traefik": traefik_image.rsplit(":", 1)[-1] if traefik_image else "?",
        "app": "Odoo stand-in (tests/lab/images/odoo-standin), instance prod",
        "docker": out("docker", "version", "-f", "{{.Server.Version}}"),
        "kernel": os.uname().release,
        "cpus": str(os.cpu_count()),
    }


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def report(runs: dict[str, list[dict]], args: argparse.Namespace) -> bool:
    print(f"\nTraefik overhead on the lab ({args.rounds} rounds x {args.duration:g} s per side, alternated; "
          f"wrk -t{args.threads} -c{args.connections}; app: the Odoo stand-in)")
    print(f"{'target':<44} {'n':>2} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'req/s':>8} {'errors':>7}")
    for name, results in runs.items():
        if results:
            print(f"{TARGETS[name].label:<44} {len(results):>2} "
                  + " ".join(f"{median([r[k] / 1000 for r in results]):>8.2f}" for k in ("p50_us", "p90_us", "p99_us"))
                  + f" {median([r['rps'] for r in results]):>8.0f} {sum(r['errors'] for r in results):>7}")
    print("(medians over the rounds; latencies are each run's percentiles over all its requests)")
    added = [t["p50_us"] / 1000 - d["p50_us"] / 1000 for d, t in zip(runs["direct"], runs["traefik"])]
    ratio = [t["rps"] / d["rps"] for d, t in zip(runs["direct"], runs["traefik"])]
    ok_added, ok_ratio = median(added) <= ADDED_P50_MS, median(ratio) >= THROUGHPUT_RATIO
    print(f"added p50 through Traefik (per round: {' '.join(f'{a:+.2f}' for a in added)}) median {median(added):+.2f} ms"
          f"  target <= {ADDED_P50_MS} ms  {'pass' if ok_added else 'FAIL'}")
    print(f"throughput through Traefik / direct (per round: {' '.join(f'{r:.1%}' for r in ratio)}) median {median(ratio):.1%}"
          f"  target >= {THROUGHPUT_RATIO:.0%}  {'pass' if ok_ratio else 'FAIL'}")
    if runs.get("tls-local") and runs.get("http-local"):
        tls_p50 = median([r["p50_us"] / 1000 for r in runs["tls-local"]]) - median([r["p50_us"] / 1000 for r in runs["http-local"]])
        print(f"Traefik alone: HTTPS 403 minus HTTP 301, p50 {tls_p50:+.2f} ms, req/s "
              f"{median([r['rps'] for r in runs['tls-local']]) / median([r['rps'] for r in runs['http-local']]):.1%} "
              "(approximate TLS cost; the two answers take different paths inside Traefik)")
    return ok_added and ok_ratio


def print_sequence(label: str, first: list[float], whole: list[float]) -> None:
    print(f"  {label:<42} first byte p50 {median(first):6.2f} ms, whole response p50 {median(whole):6.2f} ms"
          f" (min {min(whole):.2f}, max {max(whole):.2f})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     epilog="Needs the deployed lab (bash scripts/demo.sh). Lab only: 10.77.0.11, 10.77.0.21.")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of direct + traefik runs (default 3)")
    parser.add_argument("--duration", type=float, default=10, help="seconds per wrk run (default 10)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (default 16)")
    parser.add_argument("--reference-duration", type=float, default=5,
                        help="seconds per run of the Traefik-alone references, 0 to skip (default 5)")
    args = parser.parse_args()
    if args.rounds < 1 or args.duration <= 0 or args.duration > 60:
        parser.error("--rounds >= 1 and 0 < --duration <= 60")
    wrk = ensure_wrk()
    start, load_start, molecule = time.monotonic(), load_average(), molecule_containers()
    log(f"load average {load_start}; molecule containers running: {len(molecule)}")
    sequences = {}
    for name, target in TARGETS.items():
        status, first, whole = http_sequence(target, 20)
        if status != target.status:
            raise RuntimeError(f"{target.url} via {target.connect_to or 'DNS'} answered {status}, expected {target.status}")
        sequences[name] = (first, whole)
    workdir = Path(tempfile.mkdtemp(prefix="odoo-cloud-bench."))
    names = ["direct", "traefik"] + (["tls-local", "http-local"] if args.reference_duration > 0 else [])
    for name in names:  # warm-up: connections, TLS sessions, Traefik's backend pool
        wrk_run(wrk, TARGETS[name], args, 2, workdir)
    runs: dict[str, list[dict]] = {name: [] for name in names}
    for i in range(args.rounds):
        for name in (["direct", "traefik"] if i % 2 == 0 else ["traefik", "direct"]):
            runs[name].append(wrk_run(wrk, TARGETS[name], args, args.duration, workdir))
        for name in names[2:] if i % 2 == 0 else names[:1:-1]:
            runs[name].append(wrk_run(wrk, TARGETS[name], args, args.reference_duration, workdir))
    shutil.rmtree(workdir, ignore_errors=True)
    ok = report(runs, args)
    print("one connection, 20 sequential requests (Python client, before the wrk runs):")
    for name, (first, whole) in sequences.items():
        print_sequence(TARGETS[name].label, first, whole)
    first, whole = sequences["direct"]
    stall = median(whole) - median(first)
    if stall > 10:
        print(f"note: straight from the app, the body comes {stall:.0f} ms after the first byte: the stand-in writes its"
              " headers and its body separately (Nagle) and the peer delays its ACK. That stall is in both sides'"
              " latency and bounds their throughput (connections / latency); the comparison above measures it more"
              " than it measures Traefik. Traefik's own round trip is the 'Traefik alone' rows.")
    if "tls-local" in sequences:
        print(f"Traefik alone on one connection: HTTPS 403 minus HTTP 301, whole response p50 "
              f"{median(sequences['tls-local'][1]) - median(sequences['http-local'][1]):+.2f} ms")
    errors = sum(r["errors"] for results in runs.values() for r in results)
    print(f"machine: load average {load_start} at start, {load_average()} at end; {len(molecule)} molecule-* "
          f"containers running at start{' (' + ' '.join(molecule) + ')' if molecule else ''}; "
          f"{time.monotonic() - start:.0f} s in all")
    print("versions: " + ", ".join(f"{k} {v}" for k, v in versions(wrk).items()))
    if errors:
        print(f"{errors} failed or unexpected responses: the figures are suspect")
        return 2
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
