"""Generators of fictional Chinese names and places (pure; deterministic given an RNG).

Names are drawn character by character from common surnames and given-name characters;
they belong to no real person. Places are invented.
"""

from __future__ import annotations

import random

# Common surnames with rough weights (frequent ones drawn more often).
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵"
    "万钱严覃武戴莫孔向汤单欧阳司马诸葛"
)
_SINGLE = list(SURNAMES[: SURNAMES.index("欧")])
_COMPOUND = ["欧阳", "司马", "诸葛", "上官"]
_WEIGHTS = [max(1, 60 - i) for i in range(len(_SINGLE))]

GIVEN_MALE = (
    "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆帅旭宁龙林欢阳建国文志海峰东亮成振兴荣庆德"
)
GIVEN_FEMALE = "芳娜敏静丽艳娟霞秀燕玲桂英华兰红梅琳雪婷慧颖倩洁晶莉萍琴云凤月春晓蓉佳欣怡菲岚"
GIVEN_ANY = "子思嘉一家晨安明文雨可君宏永佳永小新天"

PLACE_FIRST = "青云石枫松柳桃梅竹兰清溪河湖山岭川塘源泉坪岗峪湾桥林苍碧丹金银玉"
PLACE_SECOND = "溪桥岭湾坪塘源口坝营庄集铺寨冲岗川洲"


def person_name(rng: random.Random, gender: str) -> str:
    if rng.random() < 0.01:
        surname = rng.choice(_COMPOUND)
    else:
        surname = rng.choices(_SINGLE, weights=_WEIGHTS)[0]
    pool = GIVEN_MALE if gender == "M" else GIVEN_FEMALE
    if rng.random() < 0.3:
        given = rng.choice(pool)
    else:
        given = rng.choice(GIVEN_ANY + pool) + rng.choice(pool)
    return surname + given


def place_name(rng: random.Random, used: set[str]) -> str:
    for _ in range(1000):
        name = rng.choice(PLACE_FIRST) + rng.choice(PLACE_SECOND)
        if name not in used:
            used.add(name)
            return name
    raise RuntimeError("ran out of place names")
