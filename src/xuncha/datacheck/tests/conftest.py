"""Fixtures for data comparison: an area of its own under county 1 (so the demo's datasets
and findings stay out of what the tests count), the county office's account, and small
department files written as real CSV and XLSX files."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from xuncha.core.lib import idnumber
from xuncha.core.models import Organisation, Role, RoleGrant, User

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture(autouse=True)
def _english() -> Any:
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture(autouse=True, scope="module")
def _spark_stopped() -> Any:
    """A Spark session a module started ends with the module: its JVM threads stay out of
    the tests that follow (and their memory)."""
    yield
    import sys

    spark = sys.modules.get("xuncha.datacheck.lib.spark")
    if spark is not None:
        spark.stop()


@pytest.fixture(autouse=True)
def _own_files(settings: Any, tmp_path: Path) -> None:
    """Each test's dataset files in its own directory (database ids repeat across runs)."""
    settings.DATACHECK_DIR = tmp_path / "datacheck"


@pytest.fixture
def office(db: Any) -> User:
    return User.objects.get(username="office_c1")


@pytest.fixture
def county(office: User) -> Organisation:
    grant = RoleGrant.objects.filter(user=office, role=Role.OFFICE_STAFF).first()
    assert grant is not None
    return grant.organisation


@pytest.fixture
def area(county: Organisation, office: User) -> Organisation:
    """A township of the county, made for the test (no demo dataset lies under it)."""
    from xuncha.core import services as core_services

    return core_services.organisation_create(
        actor=office,
        name="测试镇",
        code=f"T-DC-{Organisation.objects.count()}",
        kind="township",
        parent=county,
    )


def person_id(n: int, born: dt.date = dt.date(1960, 5, 1)) -> str:
    return idnumber.make("431099", born, n)


def csv_bytes(rows: list[list[Any]], encoding: str = "utf-8-sig") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode(encoding)


BENEFIT_HEADER = ("姓名", "公民身份号码", "救助类别", "发放月份", "发放金额", "乡镇", "村")


def benefit_rows(people: list[tuple[int, str]], months: range = range(1, 7)) -> list[list[Any]]:
    rows: list[list[Any]] = [list(BENEFIT_HEADER)]
    for n, name in people:
        for month in months:
            rows.append(
                [name, person_id(n), "低保", f"2025年{month}月", "450.00", "测试镇", "东村"]
            )
    return rows


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, bytes], Path]:
    def make(name: str, data: bytes) -> Path:
        path = tmp_path / name
        path.write_bytes(data)
        return path

    return make
