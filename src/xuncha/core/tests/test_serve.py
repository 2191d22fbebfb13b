"""``xuncha serve`` runs the production WSGI server: pages and static files are served by
the app itself, and the access log holds neither client addresses nor query strings."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_answers_and_logs_no_client_data(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("XUNCHA_")}
    env["XUNCHA_DATA_DIR"] = str(tmp_path)
    run = [sys.executable, "-m", "xuncha"]
    subprocess.run([*run, "migrate", "-v0"], env=env, check=True, timeout=120)
    port = _free_port()
    server = subprocess.Popen(
        [*run, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=1) as response:  # noqa: S310
                    assert response.status == 200
                    break
            except OSError:
                time.sleep(0.2)
        else:
            raise AssertionError("xuncha serve did not answer")
        with urllib.request.urlopen(f"{base}/login/?q=secret-term-530102", timeout=5) as page:  # noqa: S310
            html = page.read().decode()
            assert page.headers["Content-Security-Policy"].startswith("default-src 'self'")
        assert "/static/vendor/bootstrap/bootstrap.min.css" in html
        with urllib.request.urlopen(f"{base}/static/vendor/htmx/htmx.min.js", timeout=5) as js:  # noqa: S310
            assert js.status == 200 and len(js.read()) > 10_000
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=20)
    access = [line for line in output.splitlines() if line.startswith('"GET')]
    assert any("/login/" in line for line in access), output
    assert not any("secret-term" in line or "127.0.0.1" in line for line in access), access
