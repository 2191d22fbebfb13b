"""Header rows of department spreadsheets, mapped to canonical fields (pure; no Django).

Issue #8 ("headers in Chinese with the usual variants mapped automatically, with a
preview where the user confirms or fixes the mapping; header rows below a title row and
merged header cells handled").

* ``FIELDS``: each canonical field with the header texts departments use for it. A header
  matches after ``clean`` (NFKC, no spaces or line breaks, no bracketed unit such as
  "（元）", no leading number "1." or "序号" decoration) when it equals a variant; failing
  that, by the longest variant of three or more characters it contains, when only one
  field has a variant of that length in it (so "享受人员身份证号" finds ``id_number``
  and "企业法定代表人身份证号码" finds ``legal_rep_id``, not ``id_number``).
* ``find_header_row``: in the first rows of a sheet, the row whose cells name the most
  different fields (a title row such as "2024年城关镇低保发放花名册" above it names none,
  and a title that names one field names it once however many cells it was merged over).
* ``combine_rows``: two header rows where merged cells span several columns ("家庭成员"
  over "姓名 | 身份证号") become one row, the lower text winning where it names a field.
* ``map_headers``: column index -> field for one kind of dataset, each field at most once
  (the first column that matches wins; later ones are reported as duplicates), with the
  kind's required fields that no column gave.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

FIELDS: dict[str, tuple[str, ...]] = {
    "id_number": (
        "身份证号",
        "身份证号码",
        "公民身份号码",
        "公民身份证号",
        "证件号码",
        "证件号",
        "身份证",
    ),
    "name": ("姓名", "名字", "户主姓名", "人员姓名", "享受人姓名", "申请人", "领取人"),
    "gender": ("性别",),
    "birth_date": ("出生日期", "出生年月", "出生年月日", "生日"),
    "address": ("住址", "家庭住址", "地址", "户籍地址", "居住地址", "现住址"),
    "township": ("乡镇", "镇", "乡镇(街道)", "乡镇街道", "街道"),
    "village": ("村", "村(社区)", "村社区", "村居", "行政村", "社区"),
    "household": ("户号", "户编号", "家庭编号"),
    "relation": ("与户主关系", "关系", "家庭关系"),
    "organisation": ("单位", "工作单位", "所在单位", "单位名称"),
    "post": ("职务", "职位", "岗位"),
    "benefit_type": ("救助类别", "保障类别", "补贴类型", "项目类型", "类别"),
    "period": ("发放月份", "发放年月", "所属期", "期间", "月份"),
    "amount": ("金额", "发放金额", "补助金额", "救助金额", "保障金额", "合计金额"),
    "death_date": ("死亡日期", "死亡时间", "注销日期"),
    "cremation_date": ("火化日期", "火化时间"),
    "plate": ("号牌号码", "车牌号", "车牌号码"),
    "vehicle_type": ("车辆类型", "车型"),
    "company": ("企业名称", "公司名称", "市场主体名称", "字号名称", "中标单位", "中标人"),
    "credit_code": ("统一社会信用代码", "信用代码", "注册号"),
    "legal_rep": ("法定代表人", "法人", "法人代表", "经营者", "负责人"),
    "legal_rep_id": (
        "法定代表人身份证号",
        "法定代表人身份证号码",
        "法定代表人证件号码",
        "法人身份证号",
        "法人证件号码",
        "经营者身份证号",
        "经营者证件号码",
        "负责人身份证号",
    ),
    "shareholder": ("股东", "股东姓名", "出资人", "投资人"),
    "shareholder_id": ("股东身份证号", "股东身份证号码", "股东证件号码", "出资人证件号码"),
    "project": ("项目名称", "工程名称"),
    "contract_date": ("中标日期", "签订日期", "合同日期"),
    "awarding": ("招标人", "采购人", "建设单位"),
    "property": ("不动产坐落", "坐落", "房屋坐落"),
    "area": ("面积", "建筑面积"),
    "phone": ("联系电话", "电话", "手机号", "手机号码", "联系方式"),
    "age": ("年龄",),
}

# Required fields per dataset kind (the office may edit the schema; these are the defaults).
KINDS: dict[str, tuple[str, ...]] = {
    "household": ("id_number", "name", "household", "relation"),
    "payroll": ("id_number", "name", "organisation"),
    "leading_cadre": ("id_number", "name", "organisation", "post"),
    "village_cadre": ("id_number", "name", "village", "post"),
    "benefit": ("id_number", "name", "benefit_type", "amount"),
    "death": ("id_number", "name", "death_date"),
    "vehicle": ("id_number", "name", "plate"),
    "business": ("company", "credit_code", "legal_rep", "legal_rep_id"),
    "real_estate": ("id_number", "name", "property"),
    "tender": ("project", "company", "contract_date", "amount"),
    "roster": ("name", "village"),
}

_BRACKETS = re.compile(r"[(（\[【][^)）\]】]*[)）\]】]$")
_NUMBERING = re.compile(r"^\d+[.、]")


def clean(text: object) -> str:
    value = unicodedata.normalize("NFKC", "" if text is None else str(text))
    value = re.sub(r"\s+", "", value)
    value = _NUMBERING.sub("", value)
    stripped = _BRACKETS.sub("", value)
    return stripped or value


_EXACT = {clean(v): f for f, variants in FIELDS.items() for v in variants}


def field_of(header: object) -> str | None:
    """The canonical field a header names, or None."""
    text = clean(header)
    if not text:
        return None
    if text in _EXACT:
        return _EXACT[text]
    contained = [(len(v), f) for v, f in _EXACT.items() if len(v) >= 3 and v in text]
    if not contained:
        return None
    # The longest variant decides ("法定代表人身份证号码" holds 身份证号码 and 法定代表人,
    # and 法定代表人身份证号 is longest); two fields tied at that length name none.
    longest = max(length for length, _ in contained)
    found = {f for length, f in contained if length == longest}
    return found.pop() if len(found) == 1 else None


def find_header_row(rows: Sequence[Sequence[object]], scan: int = 10) -> int | None:
    """The index of the header row among the first ``scan`` rows (the most different
    fields named, at least two; the first such row on a tie), or None. Fields, not cells,
    are counted: a title merged over the columns is repeated into each of them by the
    readers, and "城关镇低保发放金额表" names a field."""
    best, best_count = None, 1
    for index, row in enumerate(rows[:scan]):
        count = len({field_of(cell) for cell in row} - {None})
        if count > best_count:
            best, best_count = index, count
    return best


def combine_rows(upper: Sequence[object], lower: Sequence[object]) -> list[str]:
    """Two header rows (merged cells repeated or left empty to the right) as one."""
    width = max(len(upper), len(lower))
    out: list[str] = []
    carried = ""
    for i in range(width):
        top = clean(upper[i]) if i < len(upper) else ""
        carried = top or carried
        bottom = clean(lower[i]) if i < len(lower) else ""
        if bottom and field_of(bottom) is not None:
            out.append(bottom)
        elif bottom:
            out.append(carried + bottom if carried and field_of(carried + bottom) else bottom)
        else:
            out.append(carried if top else "")
    return out


@dataclass(frozen=True)
class Mapping:
    columns: dict[int, str]  # column index -> field
    missing: tuple[str, ...]  # required fields of the kind that no column gave
    duplicates: tuple[tuple[int, str], ...]  # later columns naming a field already taken
    unknown: tuple[int, ...]  # columns with a header that names no field


def map_headers(headers: Sequence[object], kind: str) -> Mapping:
    if kind not in KINDS:
        raise ValueError(f"unknown dataset kind {kind!r}")
    columns: dict[int, str] = {}
    duplicates: list[tuple[int, str]] = []
    unknown: list[int] = []
    for index, header in enumerate(headers):
        field = field_of(header)
        if field is None:
            if clean(header):
                unknown.append(index)
            continue
        if field in columns.values():
            duplicates.append((index, field))
            continue
        columns[index] = field
    missing = tuple(f for f in KINDS[kind] if f not in columns.values())
    return Mapping(columns, missing, tuple(duplicates), tuple(unknown))
