from xuncha.core.lib import pinyin


def test_initials_and_full_pinyin():
    text = pinyin.search_text("张文杰")
    assert pinyin.matches("zwj", text)
    assert pinyin.matches("zhangwenjie", text)
    assert pinyin.matches("zhang", text)
    assert not pinyin.matches("lwj", text)


def test_surname_readings_are_used():
    assert pinyin.matches("szq", pinyin.search_text("单志强"))
    assert pinyin.matches("zengxiaoming", pinyin.search_text("曾晓明"))
    assert pinyin.matches("oyl", pinyin.search_text("欧阳磊"))


def test_middle_dot_names_and_heteronyms():
    assert pinyin.matches("ayg", pinyin.search_text("阿依·古丽"))
    # 长 has two readings in a given name; both are searchable.
    text = pinyin.search_text("王长林")
    assert pinyin.matches("wcl", text) and pinyin.matches("wzl", text)


def test_empty_name():
    assert pinyin.search_text("  ") == ""
