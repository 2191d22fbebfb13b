"""Offline by construction: no template or static file loads anything from another host,
and every page carries a Content-Security-Policy that allows only this origin."""

from __future__ import annotations

import re
from pathlib import Path

from django.urls import reverse

import xuncha

PACKAGE = Path(xuncha.__file__).parent

# Attribute or CSS references that a browser would fetch.
HTML_LOAD = re.compile(
    r"""(?:src|href|action|poster|data|srcset)\s*=\s*["']\s*(?:https?:)?//""", re.I
)
CSS_LOAD = re.compile(r"""(?:url\(\s*["']?\s*(?:https?:)?//|@import\s+["']?(?:https?:)?//)""", re.I)
# JavaScript: any absolute URL at all, unless reviewed and listed below.
JS_URL = re.compile(r"""(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}[^\s"'`)]*""", re.I)
# Reviewed URLs in vendored code: XML namespaces and licence/doc links in comments and
# error messages. None of them is fetched.
REVIEWED_JS_URLS = {
    "http://www.w3.org/2000/svg",
    "http://www.w3.org/1999/xlink",
    "http://www.w3.org/2000/xmlns/",
    "http://www.w3.org/XML/1998/namespace",
    "http://www.apache.org/licenses/LICENSE-2.0",
    "https://github.com/ecomfe/zrender/blob/master/LICENSE.txt",
    "https://getbootstrap.com/",
    "https://github.com/twbs/bootstrap/blob/main/LICENSE",
    "https://github.com/twbs/bootstrap/graphs/contributors",
    "https://github.com/floating-ui/popper-docs/blob/main/docs/v2/index.md",
}


def _files(*suffixes: str) -> list[Path]:
    return [p for p in PACKAGE.rglob("*") if p.suffix in suffixes and p.is_file()]


def test_scanner_catches_external_references():
    assert HTML_LOAD.search('<script src="https://cdn.example.com/x.js">')
    assert HTML_LOAD.search("<link href='//fonts.example.com/css'>")
    assert CSS_LOAD.search("body{background:url(https://example.com/a.png)}")
    assert CSS_LOAD.search('@import "//example.com/a.css";')
    assert not HTML_LOAD.search('<a href="/people/">')


def test_templates_reference_no_outside_host():
    offenders = [
        f"{p}: {m.group(0)}"
        for p in _files(".html")
        for m in HTML_LOAD.finditer(p.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_stylesheets_reference_no_outside_host():
    offenders = [
        f"{p}: {m.group(0)}"
        for p in _files(".css")
        for m in CSS_LOAD.finditer(p.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_scripts_contain_only_reviewed_urls():
    found = {
        m.group(0).rstrip(".,;")
        for p in _files(".js")
        for m in JS_URL.finditer(p.read_text(encoding="utf-8"))
    }
    assert found - REVIEWED_JS_URLS == set()


def test_svg_and_sourcemaps_do_not_point_outside():
    for path in _files(".svg"):
        assert not re.search(
            r"(?:href|src)=[\"'](?:https?:)?//", path.read_text(encoding="utf-8")
        ), path
    for path in _files(".js", ".css"):
        assert "sourceMappingURL" not in path.read_text(encoding="utf-8"), path


def test_pages_send_a_strict_content_security_policy(as_user):
    for client, url in (
        (as_user(None), reverse("login")),
        (as_user("office"), reverse("core:home")),
    ):
        response = client.get(url)
        csp = response["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "script-src 'self'" in csp
        assert "unsafe-inline" not in csp and "http" not in csp
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "<script>" not in response.content.decode()  # no inline scripts
