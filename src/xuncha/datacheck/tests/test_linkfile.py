"""Linking two files without the web database (``xuncha datacheck link``, issue #9)."""

from __future__ import annotations

import csv
import datetime as dt
import json

import openpyxl
import pytest

from xuncha.datacheck.lib import link, linkfile

REGISTRY = [
    ("户籍人口信息", None, None, None, None),  # a title row above the header
    ("姓名", "公民身份号码", "出生日期", "住址", "联系电话"),
    ("张卫东", "431099197605120019", "1976-05-12", "演示县城关镇东风村三组12号", "13800000001"),
    ("张卫东", "431099199601010014", "1996-01-01", "演示县城关镇东风村五组3号", None),
    ("李强", "431099197007070031", "1970-07-07", "演示县城关镇红星村", None),
    ("王芳", "431099198209090043", "1982-09-09", "演示县河西乡柳树村", "13800000002"),
]
ROSTER = [
    ("序号", "姓名", "年龄", "出生年月", "乡镇", "村"),
    ("1", "張衛東", "", "1976年5月", "城关镇", "东风村"),
    ("2", "李 强", "", "1970", "城关镇", "红星村"),
    ("3", "玉芳", "约四十五岁", "", "河西乡", "柳树村"),
    ("4", "孙建国", "", "1950-01-01", "河西乡", "柳树村"),
]
CONFIG = """
left:
  columns:
    {name: 姓名, id_number: 公民身份号码, birth_date: 出生日期, address: 住址, phone: 联系电话}
right:
  columns: {id: 序号, name: 姓名, age: 年龄, birth_date: 出生年月, township: 乡镇, village: 村}
thresholds: {match: 0.9, review: 0.0001}
reference_day: 2026-11-27
model: model.json
"""


def _xlsx(path, rows):
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(list(row))
    book.save(path)


def _csv(path, rows):
    with path.open("w", encoding="gb18030", newline="") as handle:
        csv.writer(handle).writerows([["" if v is None else v for v in row] for row in rows])


@pytest.fixture
def files(tmp_path):
    _xlsx(tmp_path / "registry.xlsx", REGISTRY)
    _csv(tmp_path / "roster.csv", ROSTER)
    (tmp_path / "model.json").write_text(json.dumps(link.default_model()), encoding="utf-8")
    (tmp_path / "link.yaml").write_text(CONFIG, encoding="utf-8")
    return tmp_path


def _read(path):
    with path.open(encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def test_two_files_are_linked_with_reasons(files):
    config = linkfile.load_config(files / "link.yaml")
    assert config.reference_day == dt.date(2026, 11, 27)
    out = files / "pairs.csv"
    outcome = linkfile.run(files / "registry.xlsx", files / "roster.csv", config, out)
    rows = _read(out)
    assert outcome.pairs == len(rows) and (outcome.left, outcome.right) == (4, 4)
    best: dict[str, dict] = {}
    for row in rows:
        best.setdefault(row["right_id"], row)
    # Left ids are the file's row numbers (the title row is row 1, the header row 2).
    assert best["1"]["left_id"] == "3" and best["1"]["left_name"] == "张卫东"
    assert best["1"]["right_name"] == "張衛東"
    assert best["1"]["reasons"] == "name=exact; birth=month; address=village"
    assert best["2"]["left_id"] == "5" and best["2"]["level_birth"] == "year"
    assert best["3"]["left_id"] == "6" and best["3"]["level_name"] == "similar_shape"
    assert best["3"]["level_birth"] == "about"
    assert "4" not in best  # nobody of that name
    assert float(best["1"]["match_probability"]) >= 0.9 and best["1"]["band"] == "match"


def test_duplicates_in_one_file_and_a_saved_model(files):
    config_text = CONFIG.replace("model: model.json", "save_model: trained.json")
    (files / "dedupe.yaml").write_text(config_text, encoding="utf-8")
    rows = [*REGISTRY, ("張衛東", None, "1976-05-12", "城关镇东风村", "13800000001")]
    _xlsx(files / "dupes.xlsx", rows)
    config = linkfile.load_config(files / "dedupe.yaml")
    # Too few records to train on: the message says so.
    with pytest.raises(linkfile.ConfigError, match="too few"):
        linkfile.run(files / "dupes.xlsx", None, config, files / "out.csv")
    config = linkfile.load_config(files / "link.yaml")
    out = files / "out.csv"
    linkfile.run(files / "dupes.xlsx", None, config, out)
    matches = [(r["left_id"], r["right_id"]) for r in _read(out) if r["band"] == "match"]
    assert matches == [("3", "7")]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("left: {columns: {名字: 姓名}}", "unknown roles 名字"),
        ("left: {columns: {id_number: 身份证}}", "the role 'name' needs a column"),
        ("left: [1]", "needs 'columns'"),
        ("left: {columns: {name: 姓名}}\nthresholds: {match: 0.3, review: 0.5}", "thresholds"),
        ("left: {columns: {name: 姓名}}\nengine: oracle", "engine: duckdb or spark"),
        ("left: {columns: {name: 姓名}}\nreference_day: yesterday", "reference_day"),
        ("left: {columns: {name: 姓名}, header_row: 0}", "header_row"),
        ("- a", "a mapping"),
    ],
)
def test_bad_configurations_say_what_is_wrong(tmp_path, text, message):
    path = tmp_path / "c.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(linkfile.ConfigError, match=message):
        linkfile.load_config(path)


def test_bad_files_say_the_file_row_and_column(files):
    config = linkfile.load_config(files / "link.yaml")
    bad = [*ROSTER, ("5", "王五", "一百五十岁", "", "河西乡", "柳树村")]
    _csv(files / "bad.csv", bad)
    with pytest.raises(linkfile.ConfigError) as error:
        linkfile.run(files / "registry.xlsx", files / "bad.csv", config, files / "o.csv")
    message = str(error.value)
    assert "bad.csv" in message and "row 6" in message and "'年龄'" in message
    assert not (files / "o.csv").exists()  # nothing half-written
    _csv(files / "nohead.csv", [("甲", "乙"), ("1", "2")])
    with pytest.raises(linkfile.ConfigError, match="no row in the first 20 holds"):
        linkfile.run(files / "registry.xlsx", files / "nohead.csv", config, files / "o.csv")
    with pytest.raises(linkfile.ConfigError, match=r"cannot be read|No such file"):
        linkfile.run(files / "missing.xlsx", None, config, files / "o.csv")


def test_the_command(files):
    from io import StringIO

    from django.core.management import CommandError, call_command

    out = StringIO()
    call_command(
        "datacheck",
        "link",
        str(files / "registry.xlsx"),
        str(files / "roster.csv"),
        "--config",
        str(files / "link.yaml"),
        "--out",
        str(files / "pairs.csv"),
        stdout=out,
        stderr=StringIO(),
    )
    assert "pairs written to" in out.getvalue() and "3 links" in out.getvalue()
    assert _read(files / "pairs.csv")[0]["left_name"] == "张卫东"
    with pytest.raises(CommandError, match="the role 'name' needs a column"):
        (files / "bad.yaml").write_text("left: {columns: {id: 序号}}", encoding="utf-8")
        call_command(
            "datacheck",
            "link",
            str(files / "registry.xlsx"),
            "--config",
            str(files / "bad.yaml"),
            "--out",
            str(files / "x.csv"),
        )
