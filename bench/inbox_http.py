"""The HTTP part of bench/inbox.py: gunicorn as a subprocess, signing in over HTTP, and the load clients.

Kept apart because none of it is about the inbox: it starts `gunicorn -w 2` (sync workers, the deployment's
shape) on a free loopback port against the benchmark's schema, signs in through the login form as a browser does
(CSRF token from GET /login, then POST), checks that a GET returns the inbox and not the login page, and puts
load on it for a bounded time with `wrk` when it is installed, else with Python threads over http.client.
"""
import os
import re
import socket
import subprocess
import threading
import time
from http.client import HTTPConnection
from pathlib import Path
from urllib.parse import urlencode

from inbox_data import PASSWORD, ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(url: str, workdir: Path, port: int) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench-secret", "GIA_VAR_DIR": str(workdir),
           "UPLOAD_DIR": str(workdir / "uploads"), "GIA_CLOCK": "real"}
    log = open(workdir / "gunicorn.log", "ab")
    proc = subprocess.Popen([str(ROOT / ".venv" / "bin" / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}",
                             "--log-level", "warning", "wsgi:app"], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited: {(workdir / 'gunicorn.log').read_text()[-2000:]}")
        try:
            status, _headers, _body = http_get(port, "/login")
            if status == 200:
                return proc
        except OSError:
            pass
        time.sleep(0.2)
    proc.terminate()
    raise RuntimeError("gunicorn did not answer within 60 s")


def http_get(port, path, cookie=None):
    conn = HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        resp = conn.getresponse()
        return resp.status, resp.getheaders(), resp.read().decode("utf-8", "replace")
    finally:
        conn.close()


def _cookies(headers, jar):
    for name, value in headers:
        if name.lower() == "set-cookie":
            key, _, rest = value.partition("=")
            jar[key.strip()] = rest.split(";", 1)[0]
    return "; ".join(f"{k}={v}" for k, v in jar.items())


def login(port, login_name) -> str:
    """GET /login for the CSRF token and the session cookie, POST the form; returns the Cookie header."""
    conn = HTTPConnection("127.0.0.1", port, timeout=30)
    jar = {}
    try:
        conn.request("GET", "/login")
        resp = conn.getresponse()
        body = resp.read().decode()
        cookie = _cookies(resp.getheaders(), jar)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', body) or \
            re.search(r'value="([^"]+)"[^>]*name="csrf_token"', body)
        if not token:
            raise RuntimeError("no CSRF token on /login")
        form = urlencode({"csrf_token": token.group(1), "login": login_name, "password": PASSWORD})
        conn.request("POST", "/login", body=form, headers={"Cookie": cookie,
                                                           "Content-Type": "application/x-www-form-urlencoded"})
        resp = conn.getresponse()
        resp.read()
        cookie = _cookies(resp.getheaders(), jar)
        if resp.status != 302:
            raise RuntimeError(f"login as {login_name}: HTTP {resp.status}, expected a redirect")
        return cookie
    finally:
        conn.close()


def check_inbox(port, path, cookie) -> str:
    status, _headers, body = http_get(port, path, cookie)
    if status != 200:
        raise RuntimeError(f"GET {path}: HTTP {status}")
    if 'name="password"' in body or 'class="tabs"' not in body:
        raise RuntimeError(f"GET {path} did not return the inbox (the login page?)")
    rows = body.count('<tr class="')
    return f"{rows} rows, {len(body) // 1024} KiB"


class Load:
    def __init__(self, tool, requests, seconds, errors, p50, p95, p99, note=""):
        self.tool, self.requests, self.seconds, self.errors = tool, requests, seconds, errors
        self.p50, self.p95, self.p99, self.note = p50, p95, p99, note

    @property
    def rate(self):
        return self.requests / self.seconds


WRK_SCRIPT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH %d %d %d %d %d %d %d %.1f %.1f %.1f\\n", summary.requests, summary.duration,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


def run_wrk(port, path, cookie, seconds, connections, workdir) -> Load:
    script = workdir / "report.lua"
    script.write_text(WRK_SCRIPT)
    out = subprocess.run(["wrk", "-t", "1", "-c", str(connections), "-d", f"{seconds}s", "--timeout", "10s",
                          "-H", f"Cookie: {cookie}", "-s", str(script), f"http://127.0.0.1:{port}{path}"],
                         capture_output=True, text=True, timeout=seconds + 60)
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("BENCH ")), None)
    if line is None:
        raise RuntimeError(f"wrk: {out.stdout[-1000:]} {out.stderr[-1000:]}")
    n, duration, connect, read, write, status, timeout, p50, p95, p99 = line.split()[1:]
    errors = int(connect) + int(read) + int(write) + int(status) + int(timeout)
    detail = f"non-2xx/3xx {status}, socket errors c/r/w/t {connect}/{read}/{write}/{timeout}"
    return Load(f"wrk -t1 -c{connections}", int(n), int(duration) / 1e6, errors, float(p50) / 1000,
                float(p95) / 1000, float(p99) / 1000, detail)


def run_python_client(port, path, cookie, seconds, connections) -> Load:
    """Threads with http.client keep-alive connections (reconnecting when the server closes), bounded in time."""
    latencies, errors, lock = [], [0], threading.Lock()
    stop = time.perf_counter() + seconds

    def worker():
        conn, mine, bad = None, [], 0
        while time.perf_counter() < stop:
            try:
                if conn is None:
                    conn = HTTPConnection("127.0.0.1", port, timeout=10)
                t0 = time.perf_counter()
                conn.request("GET", path, headers={"Cookie": cookie})
                resp = conn.getresponse()
                resp.read()
                mine.append(time.perf_counter() - t0)
                if resp.status != 200:
                    bad += 1
                if resp.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = None
            except OSError:
                bad += 1
                conn = None
        with lock:
            latencies.extend(mine)
            errors[0] += bad

    began = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - began
    ordered = sorted(latencies) or [0.0]

    def pct(q):
        return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] * 1000
    return Load(f"python client, {connections} threads", len(latencies), wall, errors[0], pct(0.5), pct(0.95),
                pct(0.99), "errors: non-200 or socket errors; the client shares the 2 CPUs with the server")


def measure_http(url, workdir, seconds, connections, client, paths) -> list:
    """One gunicorn (2 sync workers) for all rows. `paths`: [(persona, login, path)].
    Returns [(persona, path, Load, page check)]."""
    results = []
    port = free_port()
    proc = start_gunicorn(url, workdir, port)
    try:
        for persona, login_name, path in paths:
            cookie = login(port, login_name)
            before = check_inbox(port, path, cookie)
            for _ in range(20):  # warm both workers (templates, translations, statement cache, pool)
                http_get(port, path, cookie)
            if client == "wrk":
                load = run_wrk(port, path, cookie, seconds, connections, workdir)
            else:
                load = run_python_client(port, path, cookie, seconds, connections)
            check_inbox(port, path, cookie)  # still the inbox after the load
            results.append((persona, path, load, before))
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return results
