from xuncha.core.lib import pinyin


def test_initials_and_full_pinyin():
    text = pinyin.search_text("张文杰")
    assert pinyin.matches("zwj", text)
    assert pinyin.matches("zhangwenjie", text)
    assert pinyin.matches("zhang", text)
    assert pinyin.matches("zhangwj", text)  # the surname in full, the given name's initials
    assert not pinyin.matches("lwj", text)
    assert text.split()[:2] == ["zhangwenjie", "zwj"]


def test_the_given_name_alone_finds_a_person():
    text = pinyin.search_text("张文杰")
    assert pinyin.matches("wenjie", text) and pinyin.matches("wen", text)
    assert not pinyin.matches("wj", text)  # the given name's initials alone are too loose
    assert pinyin.matches("lei", pinyin.search_text("欧阳磊"))  # a two-character surname
    assert not pinyin.matches("yanglei", pinyin.search_text("欧阳磊"))
    assert pinyin.matches("zhengming", pinyin.search_text("万俟正明"))
    assert pinyin.matches("xiaoming", pinyin.search_text("曾晓明"))
    assert pinyin.search_text("张") == "zhang z"  # no given name, no key for it


def test_surname_readings_are_used():
    assert pinyin.matches("szq", pinyin.search_text("单志强"))
    assert pinyin.matches("zengxiaoming", pinyin.search_text("曾晓明"))
    assert pinyin.matches("zengxm", pinyin.search_text("曾晓明"))
    assert pinyin.matches("oyl", pinyin.search_text("欧阳磊"))


def test_middle_dot_names_and_heteronyms():
    assert pinyin.matches("ayg", pinyin.search_text("阿依·古丽"))
    # 长 has two readings in a given name; both are searchable.
    text = pinyin.search_text("王长林")
    assert pinyin.matches("wcl", text) and pinyin.matches("wzl", text)


def test_empty_name():
    assert pinyin.search_text("  ") == ""


def test_long_names_fit_the_stored_column(monkeypatch):
    name = "阿依古丽买买提乐长重行乐长重行"  # many syllables, several with two readings
    text = pinyin.search_text(name)
    assert 0 < len(text) <= pinyin.MAX_LENGTH
    monkeypatch.setattr(pinyin, "MAX_LENGTH", 10_000)
    whole = pinyin.search_text(name)
    assert len(whole) > 400 and whole.startswith(text)  # only later readings gave way
