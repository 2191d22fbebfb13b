"""Name keys and agreement levels for linkage (issue #9 groundwork)."""

from __future__ import annotations

import pytest

from xuncha.datacheck.lib import names
from xuncha.datacheck.lib.normalise import BadValue


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("张卫东", "张卫东", "exact"),
        ("張衛東", "张卫东", "exact"),  # traditional characters
        ("张 卫东", "张卫东", "exact"),  # padding
        ("张卫东", "张伟东", "homophone"),
        ("买买提·艾力", "买买提艾力", "homophone"),  # the dot left out
        ("卫东张", "张卫东", "reordered"),
        ("艾力·买买提", "买买提艾力", "reordered"),
        ("张卫东", "张卫车", "one_character"),
        ("张卫东", "赵伟栋", "initials"),
        ("张卫东", "李建国", "different"),
        ("张卫东", "张卫", "different"),  # a character missing is not one differing
    ],
)
def test_levels(a, b, expected):
    assert names.compare(a, b) == expected
    assert names.compare(b, a) == expected


def test_keys_of_a_name_with_a_compound_surname_and_a_surname_reading():
    k = names.keys("欧阳修文")
    assert (k.family, k.given, k.pinyin, k.initials) == ("欧阳", "修文", "ou yang xiu wen", "oyxw")
    shan = names.keys("单田芳")
    assert (shan.family, shan.pinyin) == ("单", "shan tian fang")
    assert names.keys("曾国藩").pinyin.startswith("zeng ")
    minority = names.keys("买买提・艾力")
    assert minority.minority and minority.text == "买买提·艾力"
    assert (minority.family, minority.given) == ("买买提", "艾力")


def test_order_insensitive_key_and_empty_names():
    assert names.keys("卫东张").sorted_chars == names.keys("张卫东").sorted_chars
    with pytest.raises(BadValue):
        names.keys("   ")
