"""Load test of the public channel: N concurrent anonymous submissions with attachments
against `xuncha serve` on loopback with PostgreSQL, then every one checked.

Each simulated person has their own browser session: they open the report form (CSRF
token and proof-of-work challenge), solve the proof of work (16 bits, as in production)
and wait at a barrier; then all of them send at once, `CONCURRENCY` at a time. Only the
sending phase is timed, so the measure is the server's, not this script's hashing.

Baseline, measured in the same run against the same server: the same number of people
posting Django's language switch (`/i18n/setlang/`), a trivial CSRF-protected form post.
The result is the throughput ratio submissions/s ÷ trivial posts/s.

Afterwards every receipt is redeemed (Argon2id, submitter key) and decrypted, every
report is decrypted by a staff key, and the stored count is compared: zero lost.

Needs PostgreSQL on 127.0.0.1:5432 with the CI role (xuncha/xuncha, CREATEDB); the
database `xuncha_bench_intake` is dropped and created. Real Argon2id costs are used.
"""

from __future__ import annotations

import http.cookiejar
import io
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

N = int(os.environ.get("XUNCHA_BENCH_INTAKE_N", "200"))
CONCURRENCY = int(os.environ.get("XUNCHA_BENCH_INTAKE_CONCURRENCY", "16"))
WORKERS = int(os.environ.get("XUNCHA_BENCH_INTAKE_WORKERS", "4"))
DATABASE = "xuncha_bench_intake"
PG = "postgres://xuncha:xuncha@127.0.0.1:5432"
RECEIPT = re.compile(r"\b[0-9A-Z]{4}(?:-[0-9A-Z]{4}){4}\b")


def _fresh_database() -> str:
    import psycopg

    try:
        conn = psycopg.connect(f"{PG}/postgres", autocommit=True)
    except psycopg.OperationalError as exc:
        sys.exit(
            f"intake_load needs PostgreSQL on 127.0.0.1:5432 with the role xuncha/xuncha "
            f"(CREATEDB), as .ci/run creates it: {exc}"
        )
    with conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DATABASE}")
        conn.execute(f"CREATE DATABASE {DATABASE}")
    return f"{PG}/{DATABASE}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _photo(seed: int) -> bytes:
    """A 640×480 JPEG with noise (about 100 KB, like a compressed phone photo)."""
    import random

    from PIL import Image

    rng = random.Random(seed)
    image = Image.frombytes("RGB", (640, 480), rng.randbytes(640 * 480 * 3))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=60)
    return out.getvalue()


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _multipart(
    fields: dict[str, str], files: list[tuple[str, str, bytes, str]]
) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts: list[bytes] = []
    for name, value in fields.items():
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
        parts.append(f"{head}{value}\r\n".encode())
    for field, filename, data, content_type in files:
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; '
            f'filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'
        )
        parts.append(head.encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def _hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', html) or re.search(
        rf'value="([^"]*)"[^>]*name="{name}"', html
    )
    if not match:
        raise RuntimeError(f"no {name} in the form")
    return match.group(1)


class Person:
    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=120) as response:
            return str(response.read().decode("utf-8"))

    def post(self, path: str, body: bytes, content_type: str) -> tuple[int, str]:
        request = urllib.request.Request(  # noqa: S310 - a loopback http:// URL built here
            self.base + path,
            data=body,
            headers={"Content-Type": content_type, "Referer": self.base + path},
            method="POST",
        )
        try:
            with self.opener.open(request, timeout=300) as response:
                return response.status, response.read().decode("utf-8")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode("utf-8", "replace")


def _prepare_submission(
    base: str, slug: str, i: int, photo: bytes
) -> tuple[Person, bytes, str, str]:
    from xuncha.intake.lib import pow as pow_lib

    person = Person(base)
    html = person.get(f"/t/{slug}/report/")
    challenge = _hidden(html, "pow_challenge")
    bits = int(re.search(r'data-pow-bits="(\d+)"', html).group(1))  # type: ignore[union-attr]
    text = f"压测第{i}号反映：某村会计挪用补助款，编号{uuid.uuid4().hex}。"
    body, content_type = _multipart(
        {
            "csrfmiddlewaretoken": _hidden(html, "csrfmiddlewaretoken"),
            "pow_challenge": challenge,
            "pow_nonce": pow_lib.solve(challenge, bits),
            "about": "村会计",
            "organisation": "某村",
            "what": text,
            "when": "今年",
            "category": "funds",
        },
        [
            ("attachments", f"现场{i}.jpg", photo, "image/jpeg"),
            ("attachments", f"材料{i}.pdf", PDF, "application/pdf"),
        ],
    )
    return person, body, content_type, text


def _prepare_trivial(base: str) -> tuple[Person, bytes, str, str]:
    person = Person(base)
    html = person.get("/login/")
    body = urllib.parse.urlencode(
        {
            "csrfmiddlewaretoken": _hidden(html, "csrfmiddlewaretoken"),
            "language": "zh-hans",
            "next": "/login/",
        }
    ).encode()
    return person, body, "application/x-www-form-urlencoded", ""


def _send_all(prepared: list[tuple[Person, bytes, str, str]], path: str) -> dict[str, Any]:
    latencies: list[float] = []
    results: list[tuple[int, str]] = [(0, "")] * len(prepared)
    lock = threading.Lock()

    def send(index: int) -> None:
        person, body, content_type, _text = prepared[index]
        started = time.perf_counter()
        status, html = person.post(path, body, content_type)
        with lock:
            latencies.append(time.perf_counter() - started)
        results[index] = (status, html)

    start = time.perf_counter()
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        list(pool.map(send, range(len(prepared))))
    seconds = time.perf_counter() - start
    latencies.sort()
    return {
        "seconds": seconds,
        "per_second": len(prepared) / seconds,
        "latency_median_s": statistics.median(latencies),
        "latency_p95_s": latencies[int(0.95 * (len(latencies) - 1))],
        "results": results,
    }


def main() -> None:
    database_url = _fresh_database()
    data_dir = Path(tempfile.mkdtemp(prefix="xuncha-bench-intake-"))
    env = {
        **os.environ,
        "XUNCHA_DATA_DIR": str(data_dir),
        "XUNCHA_DATABASE_URL": database_url,
        "XUNCHA_INTAKE_ARGON2": "interactive",
        "XUNCHA_INTAKE_POW_BITS": "16",
        "XUNCHA_LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "xuncha.settings",
    }
    os.environ.update(env)
    subprocess.run(
        [sys.executable, "-m", "xuncha", "demo", "--scale", "0.1", "--seed", "7"],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    port = _free_port()
    log = open(data_dir / "serve.log", "wb")  # noqa: SIM115 - closed at the end
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "xuncha",
            "serve",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(WORKERS),
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2).read()  # noqa: S310
                break
            except OSError:
                time.sleep(0.2)
        import django

        django.setup()
        from xuncha.intake.models import Channel, Report

        channel = Channel.objects.get(is_open=True)
        before = Report.objects.filter(channel=channel).count()
        photos = [_photo(i) for i in range(8)]

        with ThreadPoolExecutor(CONCURRENCY) as pool:
            trivial_people = list(pool.map(lambda _i: _prepare_trivial(base), range(N)))
            people = list(
                pool.map(
                    lambda i: _prepare_submission(base, channel.slug, i, photos[i % 8]), range(N)
                )
            )
        trivial = _send_all(trivial_people, "/i18n/setlang/")
        submitted = _send_all(people, f"/t/{channel.slug}/report/")
        trivial_ok = sum(1 for status, _html in trivial["results"] if status in (200, 302))

        # Every submission: stored, redeemable with its receipt, decryptable by staff.
        from xuncha.core.demo.generator import DEMO_PASSWORD
        from xuncha.core.models import User
        from xuncha.intake import services

        receipts = []
        for (status, html), (_p, _b, _c, text) in zip(submitted["results"], people, strict=True):
            match = RECEIPT.search(html) if status == 200 else None
            receipts.append((match.group(0) if match else None, text))
        answered = sum(1 for code, _t in receipts if code)
        redeemed = 0
        staff_read = 0
        leader = User.objects.get(username="leader")
        key = services.keys_on_password(user=leader, password=DEMO_PASSWORD).private_key
        for code, text in receipts:
            if code is None:
                continue
            found = services.report_for_receipt(code)
            if found is None:
                continue
            opened = services.open_for_submitter(*found)
            if opened.content["what"] == text and len(opened.attachments) == 2:
                redeemed += 1
            if (
                services.report_read(actor=leader, report=found[0], private_key=key).content["what"]
                == text
            ):
                staff_read += 1
        stored = Report.objects.filter(channel=channel).count() - before
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()

    from _common import write

    write(
        "intake_load",
        {
            "submissions": N,
            "concurrency": CONCURRENCY,
            "web_workers": WORKERS,
            "argon2": "interactive (64 MiB)",
            "pow_bits": 16,
            "attachments_per_submission": "1 JPEG (~100 KB, re-encoded) + 1 PDF",
            "submissions_seconds": round(submitted["seconds"], 2),
            "submissions_per_second": round(submitted["per_second"], 2),
            "submission_latency_median_s": round(submitted["latency_median_s"], 3),
            "submission_latency_p95_s": round(submitted["latency_p95_s"], 3),
            "trivial_posts_per_second": round(trivial["per_second"], 2),
            "trivial_ok": trivial_ok,
            "throughput_ratio_vs_trivial_post": round(
                submitted["per_second"] / trivial["per_second"], 4
            ),
            "receipts_returned": answered,
            "stored": stored,
            "redeemed_and_decrypted_by_submitter": redeemed,
            "decrypted_by_staff": staff_read,
            "lost": N - min(stored, redeemed, staff_read),
        },
    )
    if min(stored, redeemed, staff_read, answered) != N:
        sys.exit("intake_load: some submissions were lost or unreadable")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    main()
