"""No network metadata of a public submission is stored or logged anywhere.

The real server (`xuncha serve`, gunicorn, at the most verbose log level) runs on a
fresh embedded installation. A submitter connects from a marked loopback address
(127.0.0.77), with a marked user agent, referrer and forwarding headers, reports with an
attachment, comes back with the receipt, answers, and also hits a missing page and a
request without a CSRF token. Then the server's whole output, every file of the data
directory (the SQLite database with its WAL included) is searched for the markers.
The same run shows the log really recorded those requests, so the search is not empty
by accident.
"""

from __future__ import annotations

import http.client
import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from xuncha.intake.lib import pow as pow_lib

SOURCE = "127.0.0.77"
FORWARDED = "198.51.100.23"
AGENT = "MarkerBrowser/7.7 (ZZTopSecret)"
REFERRER = "http://referrer-marker.example/page"
TEXT = "村里的蓝色拖拉机被卖了，钱去向不明。"
RECEIPT = re.compile(r"\b[0-9A-Z]{4}(?:-[0-9A-Z]{4}){4}\b")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Browser:
    """A minimal client that keeps cookies and sends the marked headers."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str, path: str, body: bytes = b"", content_type: str = ""
    ) -> tuple[int, str, dict[str, str]]:
        conn = http.client.HTTPConnection(
            "127.0.0.1", self.port, timeout=60, source_address=(SOURCE, 0)
        )
        headers = {
            "User-Agent": AGENT,
            "Referer": REFERRER,
            "X-Forwarded-For": FORWARDED,
            "X-Real-IP": FORWARDED,
            "Forwarded": f"for={FORWARDED}",
            "Accept-Language": "zh-CN",
        }
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if content_type:
            headers["Content-Type"] = content_type
        conn.request(method, path, body=body or None, headers=headers)
        response = conn.getresponse()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        text = response.read().decode("utf-8", "replace")
        conn.close()
        return response.status, text, dict(response.getheaders())


def _hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', html) or re.search(
        rf'value="([^"]*)"[^>]*name="{name}"', html
    )
    assert match, f"no {name} in the page"
    return match.group(1)


def _multipart(fields: dict[str, str], files: list[tuple[str, str, bytes]]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    ]
    for field, filename, data in files:
        parts.append(
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; '
                f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
            ).encode()
            + data
            + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def _form(browser: Browser, path: str) -> dict[str, str]:
    status, html, _ = browser.request("GET", path)
    assert status == 200, html[:300]
    challenge = _hidden(html, "pow_challenge")
    bits = int(re.search(r'data-pow-bits="(\d+)"', html).group(1))  # type: ignore[union-attr]
    return {
        "csrfmiddlewaretoken": _hidden(html, "csrfmiddlewaretoken"),
        "pow_challenge": challenge,
        "pow_nonce": pow_lib.solve(challenge, bits),
    }


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory):
    data_dir = tmp_path_factory.mktemp("served")
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("XUNCHA_DATABASE") and key != "DJANGO_SETTINGS_MODULE"
    }
    env.update(
        XUNCHA_DATA_DIR=str(data_dir),
        XUNCHA_LOG_LEVEL="DEBUG",
        XUNCHA_INTAKE_ARGON2="minimum",
        XUNCHA_TASKS_BACKEND="immediate",
    )
    subprocess.run(
        [sys.executable, "-m", "xuncha", "demo", "--scale", "0.1", "--seed", "7"],
        env=env,
        check=True,
        capture_output=True,
    )
    port = _free_port()
    log_path = data_dir / "serve.log"
    with open(log_path, "wb") as log:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "xuncha",
                "serve",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            for _ in range(150):
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                        break
                except OSError:
                    time.sleep(0.2)
            yield data_dir, port, log_path
        finally:
            server.terminate()
            server.wait(timeout=30)


def test_nothing_about_the_network_is_kept(served) -> None:
    data_dir, port, log_path = served
    with sqlite3.connect(data_dir / "xuncha.sqlite3") as db:
        (slug,) = db.execute("SELECT slug FROM intake_channel WHERE is_open").fetchone()
    browser = Browser(port)

    fields = _form(browser, f"/t/{slug}/report/")
    fields.update(about="村主任", organisation="某村", what=TEXT, when="上个月", category="funds")
    body, content_type = _multipart(fields, [("attachments", "说明.txt", "拖拉机的事".encode())])
    status, html, headers = browser.request("POST", f"/t/{slug}/report/", body, content_type)
    assert status == 200, html[:500]
    assert headers.get("Referrer-Policy") == "no-referrer"
    receipt = RECEIPT.search(html)
    assert receipt, "no receipt in the answer"

    status, html, _ = browser.request("GET", "/r/")
    token = _hidden(html, "csrfmiddlewaretoken")
    body, content_type = _multipart({"csrfmiddlewaretoken": token, "receipt": receipt.group(0)}, [])
    status, _html, _ = browser.request("POST", "/r/", body, content_type)
    assert status == 302
    fields = _form(browser, "/r/thread/")
    fields["text"] = "补充：拖拉机是去年卖的。"
    body, content_type = _multipart(fields, [])
    status, html, _ = browser.request("POST", "/r/thread/", body, content_type)
    assert status in (200, 302), html[:500]

    assert browser.request("GET", "/no-such-page/")[0] in (302, 404)
    stranger = Browser(port)
    assert (
        stranger.request(
            "POST", f"/t/{slug}/report/", b"what=x", "application/x-www-form-urlencoded"
        )[0]
        == 403
    )
    time.sleep(0.5)  # let the access log flush

    log = log_path.read_bytes()
    assert f"/t/{slug}/report/".encode() in log, "the access log did not record the requests"
    stored = b"\n".join(
        p.read_bytes() for p in Path(data_dir).rglob("*") if p.is_file() and p != log_path
    )
    for marker in (SOURCE, FORWARDED, AGENT, "ZZTopSecret", "referrer-marker.example"):
        assert marker.encode() not in log, f"{marker} in the server log"
        assert marker.encode() not in stored, f"{marker} stored in the data directory"
    for secret in (TEXT, "拖拉机是去年卖的", receipt.group(0), receipt.group(0).replace("-", "")):
        assert secret.encode() not in log, "content or receipt in the server log"
        assert secret.encode() not in stored, "content or receipt stored in clear"
