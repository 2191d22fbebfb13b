"""Fictional complaints and labelled paraphrases for the duplicate detector (pure).

Everything here is invented: people are drawn character by character from common surnames
and given-name characters (or masked, 张某某-style), counties, townships, villages,
companies and projects are made-up names. Nothing describes a real person or place.

A *matter* is one thing someone complains about: a topic (village collective funds,
benefits for relatives, land and construction, banquets and official cars, a service or
enforcement window, cadre selection, land compensation), a target unit, a subject person
and the details (relatives, amounts, dates, places). It reaches an inspection team several
times, by letter, phone, the public channel or in interviews, each time worded differently:
``paraphrase`` imitates that (sentences reordered, synonyms, details dropped or added,
traditional characters, full-width digits, homophone typos and dropped characters, another
channel's opening and closing). Hard negatives are *other* matters about the same unit:
the same target and usually the same topic vocabulary, but another person, amount or
deed.

API (randomness comes from the caller's ``random.Random`` or seed: output is reproducible)::

    person(rng)                           -> str               a fictional name
    complaints(rng, n)                    -> list[Complaint]   n unrelated matters
    paraphrase(rng, text)                 -> str               the same matter, reworded
    unrelated(rng, complaint)             -> Complaint         another matter, same unit
    labelled(seed, n_seeds, paraphrases_per_seed, negatives_per_seed) -> list[Complaint]
    labelled_set(seed, ...)               -> list[(text, group)]  same group = duplicates
    short_texts(seed, n)                  -> list[str]         many short texts, ~10% repeats
    short_labelled_set(seed, n)           -> list[(text, group)]  the same, with groups

``Complaint.group`` identifies the matter: two complaints are duplicates exactly when their
groups are equal. ``subject`` and ``target`` are the names as written in the text, for a
caller that wants to fill subject-person and target-unit fields.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cache

TOPICS = ("funds", "welfare", "land", "frugality", "window", "selection", "compensation")


@dataclass(frozen=True)
class Complaint:
    text: str
    group: int  # the matter; equal groups are duplicates
    topic: str
    target: str  # the unit complained about, e.g. "青岚县松溪镇桃源村"
    subject: str  # the person complained about, as written, e.g. "王建国" or "王某某"


# -- names and places -----------------------------------------------------------------------

_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜"
    "叶程苏魏吕丁沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江薛段雷侯龙史陶贺顾毛郝"
    "龚邵万严武戴莫孔汤"
)
_GIVEN = (
    "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆旭宁龙林欢阳建国文志海峰东亮成振兴"
    "荣庆德芳娜敏静丽艳娟霞秀燕玲桂英兰红梅琳雪婷慧颖倩洁晶莉萍琴云凤春晓蓉佳欣怡"
)
_PLACE_1 = "青云石枫松柳桃梅竹兰清溪河湖山岭川塘源泉坪岗峪湾桥林苍碧丹金银玉黄白"
_PLACE_2 = "溪桥岭湾坪塘源口坝营庄集铺寨冲岗川洲"
_COUNTIES = ("青岚县", "云溪县", "石枫县", "柳塘县", "松坪县", "梅川县", "竹岗县", "丹峪县")
_BUREAUS = (
    "住房和城乡建设局",
    "自然资源局",
    "民政局",
    "农业农村局",
    "交通运输局",
    "水利局",
    "市场监督管理局",
    "卫生健康局",
    "教育局",
    "城市管理综合执法局",
)
_WINDOWS = ("政务服务中心", "不动产登记中心", "市场监督管理局", "城市管理综合执法局", "交通运输局")
_RELATIONS = ("妻子", "弟弟", "侄子", "小舅子", "女婿", "表哥", "儿子", "姐夫", "堂弟", "外甥")
_PROJECTS = (
    "村道硬化工程",
    "农田水利改造项目",
    "危房改造项目",
    "人居环境整治项目",
    "高标准农田建设项目",
    "饮水安全工程",
    "河道清淤工程",
    "文化广场建设项目",
)
_PERMITS = ("营业执照", "不动产权证", "建房审批", "食品经营许可证", "道路运输证")
_SHOPS = ("打印店", "中介公司", "代办点", "茶楼")
_POSTS = ("办公室副主任", "股长", "副镇长", "中心主任", "党支部副书记")
_COMPANY_WORDS = ("建筑工程", "建材", "劳务", "砂石", "园林绿化", "市政工程")
_PLACES = ("一组", "二组", "三组", "四组", "五组", "村东头", "后山", "河边", "村口", "老学校旁")


def person(rng: random.Random) -> str:
    """A fictional name: surname + one or two given-name characters."""
    surname = rng.choice(_SURNAMES)
    if rng.random() < 0.3:
        return surname + rng.choice(_GIVEN)
    return surname + rng.choice(_GIVEN) + rng.choice(_GIVEN)


def _subject_name(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.6:
        return person(rng)
    return rng.choice(_SURNAMES) + ("某某" if roll < 0.85 else "某")


def _place(rng: random.Random) -> str:
    return rng.choice(_PLACE_1) + rng.choice(_PLACE_2)


def _amount(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.4:
        return f"{rng.randint(11, 99) / 10:g}万元"
    if roll < 0.7:
        return f"{rng.randint(12, 980) * 100}元"
    if roll < 0.85:
        return f"{rng.randint(2, 60)}万余元"
    return f"{rng.randint(10, 300)}万元"


def _small_amount(rng: random.Random) -> str:
    return f"{rng.choice((200, 300, 500, 800, 1000, 1500, 2000, 3000))}元"


def _date(rng: random.Random) -> str:
    year, month = rng.randint(2019, 2025), rng.randint(1, 12)
    if rng.random() < 0.5:
        return f"{year}年{month}月"
    return f"{year}年{month}月{rng.randint(1, 28)}日"


# -- matters -----------------------------------------------------------------------------

# Per topic: opening sentences that name the subject ({role}{name}), then further facts.
# "|" separates ways different people put the same kind of fact; a complaint uses one (its
# paraphrases keep it), another matter of the same kind may use the other.
# Slots: unit (short form of the target), role, name, rel, relation, amount, small, date,
# place, count, project, company, other, permit, post, shop, months.
_TEMPLATES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "funds": (
        (
            "{unit}{role}{name}长期把持村里财务，村集体账目从不公开。"
            "|{unit}的账一直由{role}{name}一手掌握，村民从来看不到账目。",
            "{unit}{role}{name}涉嫌侵占村集体资金{amount}。"
            "|{unit}{role}{name}把村集体的{amount}钱揣进了自己腰包。",
            "反映{unit}{role}{name}违规处置村集体资产的问题。"
            "|{unit}{role}{name}私自处置集体资产，村民意见很大。",
        ),
        (
            "{date}，村里{place}的{count}亩集体土地被租给{rel}耕种，每年租金{amount}，一直没有入村集体账。"
            "|{place}那{count}亩集体地从{date}起由{rel}在种，租金每年{amount}，村账上查不到这笔收入。",
            "{name}以修路为名从村集体账户支出{amount}，但路至今没有修。"
            "|村账上记着修路花了{amount}，可{place}那条路到现在还是土路。",
            "村里的集体鱼塘以每年{small}的低价承包给了{name}的{relation}{rel}，没有经过村民代表大会讨论。"
            "|{name}没开村民代表会，就把集体鱼塘按一年{small}包给了{relation}{rel}。",
            "{date}上级拨付的{project}资金{amount}，只发放了一部分，其余去向不明。"
            "|{project}的{amount}上级资金{date}就到了村里，真正用到项目上的不到一半。",
            "村会计{other}与{name}串通，用白条入账，虚列开支{amount}。"
            "|{name}和会计{other}拿白条报账，虚开的支出加起来有{amount}。",
            "村集体厂房的出租收入{amount}被{name}存进了个人银行卡。"
            "|厂房租给外地老板，每年{amount}租金打到了{name}自己的卡上。",
            "村民多次要求公开账目，{name}都以各种理由推脱。"
            "|{date}村民联名要求查账，{name}说账本丢了。",
            "{name}把村集体的{count}间门面房低价租给{relation}{rel}，再由其高价转租。"
            "|{count}间集体门面被{relation}{rel}低价租走，转手就高价租了出去，{name}从中得利。",
        ),
    ),
    "welfare": (
        (
            "{unit}{role}{name}利用职务之便，为其{relation}{rel}违规办理了低保。"
            "|{unit}{role}{name}给自己的{relation}{rel}弄了低保。",
            "{unit}{role}{name}在低保评定中优亲厚友。"
            "|{unit}评低保全凭{role}{name}一句话，评上的都是他的亲戚朋友。",
            "反映{unit}{role}{name}让不符合条件的亲属享受低保。"
            "|{unit}{role}{name}的亲属不符合条件却吃上了低保。",
        ),
        (
            "{rel}家有楼房和小轿车，根本不符合低保条件，却从{date}起一直领取低保金，每月{small}。"
            "|{rel}在{place}盖了三层楼，家里还有车，从{date}开始每个月领{small}低保。",
            "村里真正困难的{count}户人家反而没有评上低保。"
            "|{place}有{count}户确实困难的人家，申请了几次都没评上。",
            "低保评议没有开会，也没有张榜公示，名单是{name}一个人定的。"
            "|{date}评低保时既没开评议会也没公示，{name}直接报了名单。",
            "{name}把已经去世的{relation}的低保继续领取，累计冒领{amount}。"
            "|{name}的{relation}去世多年，低保一直没停，钱被{name}领走了，前后有{amount}。",
            "镇民政办的{other}收了{name}的好处，对上报的名单不审核。"
            "|{name}每年给镇民政办的{other}送礼，报上去的名单从来没被退回过。",
            "{name}的{relation}{rel}在县城开店，也享受着农村低保。"
            "|{rel}常年在县城做生意，是{name}的{relation}，照样领着低保。",
            "{date}新增的{count}个低保名额，有一半给了{name}的亲戚。"
            "|{date}村里多了{count}个低保指标，大部分落到了{name}家族的人头上。",
        ),
    ),
    "land": (
        (
            "{unit}{role}{name}在{place}违规占用耕地{count}亩建设厂房。"
            "|{unit}{role}{name}在{place}圈了{count}亩耕地盖厂房，没有任何审批手续。",
            "{unit}{role}{name}插手工程项目，把工程交给亲属承包。"
            "|{unit}的工程项目都被{role}{name}的亲戚拿走了。",
            "反映{unit}{role}{name}在宅基地审批中吃拿卡要。"
            "|{unit}{role}{name}审批宅基地时要村民送钱送物。",
        ),
        (
            "{date}，{project}由{name}的{relation}{rel}承包，没有进行公开招标。"
            "|{project}没招标就给了{rel}，{rel}是{name}的{relation}。",
            "{name}在宅基地审批中向村民收取好处费，每户{small}到{amount}不等。"
            "|想批宅基地就得给{name}送钱，少的{small}，多的{amount}。",
            "{project}偷工减料，刚完工{months}个月路面就大面积开裂。"
            "|{project}质量很差，用了不到{months}个月就坏了。",
            "工程款{amount}已经全部拨付，但验收时发现工程量虚报。"
            "|{project}的{amount}工程款早就付清了，实际工程量远没有那么多。",
            "{name}默许{company}在{place}非法采砂，从中收取好处。"
            "|{company}在{place}挖砂好几年，{name}收了钱一直不管。",
            "群众多次向国土部门举报违法占地，至今没有拆除。"
            "|{date}以来大家打了好几次电话举报，{place}的违建到现在还在。",
            "{company}的实际老板是{name}的{relation}，近三年承接了{count}个政府项目。"
            "|{name}的{relation}开了{company}，这几年包了{count}个项目。",
        ),
    ),
    "frugality": (
        (
            "{date}，{unit}{role}{name}为儿子举办婚宴，摆了{count}桌酒席，邀请了大量管理服务对象。"
            "|{unit}{role}{name}{date}给儿子办婚礼，请了{count}桌，来的很多是下面单位的人。",
            "{unit}{role}{name}长期公车私用。|{unit}{role}{name}把公车当成自家车用。",
            "反映{unit}{role}{name}违反中央八项规定精神的问题。"
            "|{unit}{role}{name}顶风违纪，吃喝送礼样样都有。",
        ),
        (
            "{name}经常开着单位的公车接送孩子上下学，周末还开车回老家。"
            "|每天早上都能看到{name}开公车送孩子上学，节假日也开回{place}老家。",
            "{name}在{place}的农家乐用公款吃喝，费用{amount}以会议费名义报销。"
            "|{date}以来{name}多次在{place}一家农家乐吃饭，{amount}的账都当成会议费报了。",
            "{date}春节期间，{name}收受下属单位送的购物卡和礼金共计{amount}。"
            "|{date}过节时，下面单位给{name}送了购物卡和红包，加起来有{amount}。",
            "{name}借女儿升学之机大办升学宴，收受礼金{amount}。"
            "|{date}{name}的女儿考上大学，摆了{count}桌升学宴，收了{amount}礼金。",
            "单位的公务用车长期停在{name}家楼下，成了他的私家车。"
            "|那辆公务车一年到头停在{name}家小区里，单位用车还得另外找。",
            "{name}带队到外地考察，实际上是游山玩水，费用{amount}由下属单位承担。"
            "|{date}{name}带人外出考察，其实就是旅游，{amount}费用让下面单位出了。",
            "{date}，{name}在{company}老板安排的饭局上饮酒，饭后还去了娱乐场所。"
            "|{company}的老板经常请{name}吃饭，{date}那次喝完酒还去了歌厅。",
        ),
    ),
    "window": (
        (
            "{unit}办事窗口工作人员{name}对群众态度恶劣，办事推诿扯皮。"
            "|{unit}窗口的{name}对来办事的人爱理不理，事情一拖再拖。",
            "{unit}{role}{name}在执法检查中吃拿卡要。|{unit}{role}{name}借检查之机向商户要钱要物。",
            "反映{unit}{role}{name}刁难办事群众的问题。|{unit}{role}{name}故意为难来办事的群众。",
        ),
        (
            "{date}我去办理{permit}，材料齐全，{name}却一直拖着不办，暗示要给好处。"
            "|{date}办{permit}，材料都交齐了，{name}说还差东西，话里话外要好处。",
            "{name}在执法检查中向商户索要{small}的红包，不给就以各种理由罚款。"
            "|{name}每次来检查都要{small}红包，哪家不给就找毛病罚款。",
            "{name}让群众到其{relation}开的{shop}复印材料、办理手续，每次收费{small}。"
            "|办事的人都被{name}打发到他{relation}开的{shop}去，每次要花{small}。",
            "同样的材料，托关系的人当天就能办好，普通群众要跑{count}趟。"
            "|有熟人的当天就办完，一般人跑了{count}趟还没办成。",
            "{name}检查时对{company}的违规问题视而不见，据说两人关系密切。"
            "|{company}的问题{name}从来不查，两人经常一起吃饭。",
            "{date}，{name}以罚代管，对{count}家商户罚款后没有开具票据。"
            "|{date}那次检查，{name}罚了{count}家店，一张收据都没开。",
        ),
    ),
    "selection": (
        (
            "{unit}{role}{name}在干部选拔中任人唯亲，把自己的{relation}{rel}提拔为{post}。"
            "|{unit}{role}{name}把{relation}{rel}提成了{post}。",
            "{unit}{role}{name}在干部任用中搞暗箱操作。|{unit}提拔谁都是{role}{name}私下定的。",
            "反映{unit}{role}{name}违规提拔干部的问题。|{unit}{role}{name}不按程序提拔干部。",
        ),
        (
            "{rel}参加工作不满{count}年，不符合任职资格，却在{date}被突击提拔。"
            "|{rel}工作才{count}年，{date}一下子就被提拔了，资格根本不够。",
            "{name}的档案年龄和学历存在造假问题，出生年月被改小了三岁。"
            "|{name}的档案改过，年龄改小了，学历也是假的。",
            "民主推荐时{rel}得票很低，但最后还是被确定为考察对象。"
            "|{date}推荐时{rel}只有几票，最后却成了考察对象。",
            "{name}在{date}干部调整前收受{rel}送的现金{amount}。"
            "|{date}调整干部前，{rel}给{name}送了{amount}现金。",
            "单位里都说想提拔就得给{name}送礼，这是公开的秘密。"
            "|在{unit}，想进步就要给{name}送东西，大家都知道。",
            "{other}能力平平，因为和{name}是同学，{months}年里提拔了两次。"
            "|{other}是{name}的老同学，{months}年提了两级。",
        ),
    ),
    "compensation": (
        (
            "{unit}{role}{name}在征地拆迁中虚报冒领补偿款。"
            "|{unit}{role}{name}借征地拆迁多报面积、冒领补偿。",
            "{date}，{project}征地时，{unit}{role}{name}虚报青苗和地上附着物，多领补偿款{amount}。"
            "|{project}{date}征地，{unit}{role}{name}多报了青苗和附着物，多拿了{amount}。",
            "反映{unit}{role}{name}截留征地补偿款的问题。"
            "|{unit}的征地补偿款被{role}{name}扣着不发。",
        ),
        (
            "{name}把本该发给村民的征地补偿款{amount}截留在村账户，迟迟不发。"
            "|{amount}补偿款到了村里账上，{name}一直压着不给村民。",
            "{name}为其{relation}{rel}虚增拆迁面积{count}平方米。"
            "|{rel}家的拆迁面积多算了{count}平方米，{rel}是{name}的{relation}。",
            "村民{count}户的补偿款被扣了管理费，每户{small}。"
            "|{place}的{count}户人家每户被扣了{small}，说是管理费。",
            "{date}，{name}伙同{other}伪造了{count}份青苗补偿协议。"
            "|{name}和{other}{date}编了{count}份假的青苗补偿协议。",
            "补偿标准从来没有公示，村民只知道每亩拿到{small}。"
            "|{place}的地每亩只给了{small}，补偿标准谁也没见过。",
        ),
    ),
}

_VILLAGE_ROLES = ("村党支部书记", "村委会主任", "村会计", "村监委会主任", "村党支部书记兼主任")
_TOWN_ROLES = ("党委书记", "镇长", "副镇长", "党委副书记", "人大主席")
_BUREAU_ROLES = ("局长", "副局长", "党组书记", "办公室主任", "科长")
_WINDOW_ROLES = ("执法大队队长", "科长", "窗口负责人", "执法人员")


@dataclass(frozen=True)
class _Matter:
    topic: str
    target: str  # full unit name
    slots: dict[str, str]  # unit (short), role, name, ...


_ROLES = {
    "village": _VILLAGE_ROLES,
    "town": _TOWN_ROLES,
    "bureau": _BUREAU_ROLES,
    "window": _WINDOW_ROLES,
}


def _target(rng: random.Random, topic: str) -> tuple[str, str, str]:
    """(full unit name, short unit name as a text writes it, kind of unit) for a topic."""
    county = rng.choice(_COUNTIES)
    town = _place(rng) + rng.choice(("镇", "镇", "乡"))
    if topic in ("funds", "welfare", "compensation") or (topic == "land" and rng.random() < 0.5):
        village = _place(rng) + "村"
        return county + town + village, village, "village"
    if topic == "window":
        unit = rng.choice(_WINDOWS)
        return county + unit, "县" + unit, "window"
    if rng.random() < 0.4:
        return county + town + "人民政府", town, "town"
    unit = rng.choice(_BUREAUS)
    return county + unit, "县" + unit, "bureau"


def _kind(target: str) -> tuple[str, str]:
    """(short unit name, kind) of a full unit name made by ``_target``."""
    rest = target.removeprefix(target[:3])  # every county name has three characters
    if rest.endswith("村"):
        return re.split("[镇乡]", rest, maxsplit=1)[1], "village"
    if rest.endswith("人民政府"):
        return rest.removesuffix("人民政府"), "town"
    return "县" + rest, "window" if rest in _WINDOWS else "bureau"


def _slots(rng: random.Random, unit: str, role: str, name: str) -> dict[str, str]:
    return {
        "unit": unit,
        "role": role,
        "name": name,
        "rel": person(rng),
        "relation": rng.choice(_RELATIONS),
        "amount": _amount(rng),
        "small": _small_amount(rng),
        "date": _date(rng),
        "place": rng.choice(_PLACES) if rng.random() < 0.6 else _place(rng),
        "count": str(rng.randint(3, 40)),
        "project": _place(rng) + rng.choice(_PROJECTS),
        "company": _place(rng) + rng.choice(_COMPANY_WORDS) + "有限公司",
        "other": person(rng),
        "permit": rng.choice(_PERMITS),
        "post": rng.choice(_POSTS),
        "shop": rng.choice(_SHOPS),
        "months": str(rng.randint(2, 9)),
    }


def _matter(rng: random.Random, topic: str | None = None) -> _Matter:
    topic = topic or rng.choice(TOPICS)
    target, unit, kind = _target(rng, topic)
    role = rng.choice(_ROLES[kind])
    return _Matter(topic, target, _slots(rng, unit, role, _subject_name(rng)))


_OPENINGS = (
    "",
    "",
    "我是{unit}的群众，实名反映以下问题：",
    "来电人反映：",
    "群众来信反映，",
    "网民在留言板反映：",
    "个别谈话中有干部提到，",
    "12345热线转来：",
)
_CLOSINGS = (
    "",
    "",
    "请巡察组调查处理。",
    "希望上级认真查处，还群众一个公道。",
    "以上情况属实，请领导重视。",
    "群众对此意见很大。",
)
_EXTRA_DETAILS = (
    "此事村里很多人都知道。",
    "我们曾多次向镇里反映，一直没有结果。",
    "有知情人可以作证。",
    "相关账目和票据可以查到。",
    "这个问题已经存在好几年了。",
    "反映人担心遭到打击报复，要求保密。",
    "据说上级来检查时，他们提前做了准备。",
)


def _render(rng: random.Random, matter: _Matter, *, facts: int, framed: bool = True) -> str:
    intros, more = _TEMPLATES[matter.topic]
    body = [rng.choice(intros), *rng.sample(more, min(facts, len(more)))]
    text = "".join(rng.choice(sentence.split("|")).format(**matter.slots) for sentence in body)
    if framed:
        unit = matter.slots["unit"]
        text = (
            rng.choice(_OPENINGS).format(unit=unit if unit.endswith("村") else "本地")
            + text
            + rng.choice(_CLOSINGS)
        )
    return text


def _complaint(rng: random.Random, matter: _Matter, group: int) -> Complaint:
    text = _render(rng, matter, facts=rng.randint(1, 3))
    return Complaint(text, group, matter.topic, matter.target, matter.slots["name"])


def complaints(rng: random.Random, n: int) -> list[Complaint]:
    """``n`` unrelated complaints (groups 0..n-1), topics drawn uniformly."""
    return [_complaint(rng, _matter(rng), group) for group in range(n)]


# -- paraphrases ---------------------------------------------------------------------------

# Either side may stand for the other; the left side is what the templates use.
SYNONYMS: tuple[tuple[str, str], ...] = (
    ("反映", "举报"),
    ("违规", "违反规定"),
    ("亲属", "亲戚"),
    ("村党支部书记", "村支书"),
    ("村委会主任", "村主任"),
    ("利用职务之便", "利用职权"),
    ("至今", "到现在"),
    ("没有", "未"),
    ("一直", "始终"),
    ("群众", "老百姓"),
    ("村民", "群众"),
    ("公款吃喝", "用公家的钱吃喝"),
    ("公车私用", "私自使用公车"),
    ("收受", "收了"),
    ("好处费", "好处"),
    ("截留", "扣留"),
    ("去向不明", "不知去向"),
    ("多次", "反复"),
    ("婚宴", "婚礼酒席"),
    ("低价", "很低的价格"),
    ("承包", "包下"),
    ("侵占", "挪用"),
    ("态度恶劣", "态度很差"),
    ("推诿扯皮", "互相推脱"),
    ("任人唯亲", "只用自己人"),
    ("提拔", "提升"),
    ("补偿款", "补偿金"),
    ("长期", "一直以来"),
    ("根本不符合", "完全不符合"),
    ("累计", "总共"),
)
# Pinyin-input slips: a character typed as a homophone.
HOMOPHONES: dict[str, str] = {
    "账": "帐",
    "在": "再",
    "做": "作",
    "已": "以",
    "部": "步",
    "期": "其",
    "元": "园",
    "事": "是",
    "情": "请",
    "记": "纪",
    "费": "废",
    "款": "宽",
    "资": "姿",
    "保": "宝",
    "的": "地",
    "工": "公",
    "程": "成",
    "领": "令",
    "拨": "播",
    "审": "申",
    "批": "披",
    "宴": "晏",
    "提": "题",
    "违": "韦",
}
_SENTENCE = re.compile(r"[^。！？；]*[。！？；]|[^。！？；]+$")


@cache
def _s2t() -> Callable[[str], str]:
    import opencc

    convert: Callable[[str], str] = opencc.OpenCC("s2t").convert
    return convert


def _sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE.findall(text) if s]


def _split_frame(text: str) -> tuple[str, str, str]:
    """(opening, body, closing) of a text framed by one of ``_OPENINGS``/``_CLOSINGS``."""
    opening = closing = ""
    for pattern in _OPENING_PATTERNS:
        found = pattern.match(text)
        if found:
            opening, text = found.group(), text[found.end() :]
            break
    for candidate in _CLOSINGS:
        if candidate and text.endswith(candidate) and len(text) > len(candidate):
            closing, text = candidate, text[: -len(candidate)]
            break
    return opening, text, closing


_OPENING_PATTERNS = [
    re.compile(re.escape(o).replace(r"\{unit\}", "[^，：。]{1,20}"))
    for o in sorted((o for o in _OPENINGS if o), key=len, reverse=True)
]


def _fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in text)


def _typos(rng: random.Random, text: str) -> str:
    chars = list(text)
    spots = [i for i, c in enumerate(chars) if c in HOMOPHONES]
    for i in rng.sample(spots, min(len(spots), rng.randint(1, 3))):
        chars[i] = HOMOPHONES[chars[i]]
    for _ in range(rng.randint(0, 2)):
        if len(chars) > 10:
            del chars[rng.randrange(len(chars))]
    return "".join(chars)


def paraphrase(rng: random.Random, text: str) -> str:
    """The same matter as another channel would record it.

    Each of these happens with some probability (at least one always does): another
    opening and closing, sentences reordered, a sentence or clause dropped, a generic
    detail added, synonyms swapped, homophone typos and dropped characters, full-width
    digits and letters, traditional characters.
    """
    for _ in range(10):
        out = _paraphrase_once(rng, text)
        if out != text:
            return out
    return text + rng.choice(_EXTRA_DETAILS)


def _paraphrase_once(rng: random.Random, text: str) -> str:
    opening, body, closing = _split_frame(text)
    if rng.random() < 0.6:
        opening = rng.choice(_OPENINGS).replace("{unit}", "本地")
        closing = rng.choice(_CLOSINGS)
    parts = _sentences(body)
    if len(parts) >= 3 and rng.random() < 0.4:
        # Keep the first sentence (it names the subject) and shuffle the rest.
        tail = parts[1:]
        rng.shuffle(tail)
        parts = [parts[0], *tail]
    if rng.random() < 0.35:
        if len(parts) >= 3:
            del parts[rng.randrange(1, len(parts))]
        else:
            i = rng.randrange(len(parts))
            clauses = parts[i].rstrip("。").split("，")
            if len(clauses) >= 3:
                del clauses[rng.randrange(1, len(clauses))]
                parts[i] = "，".join(clauses) + "。"
    if rng.random() < 0.35:
        parts.insert(rng.randint(1, len(parts)), rng.choice(_EXTRA_DETAILS))
    text = opening + "".join(parts) + closing
    if rng.random() < 0.6:
        for left, right in SYNONYMS:
            if rng.random() < 0.5:
                text = text.replace(left, right) if left in text else text.replace(right, left)
    if rng.random() < 0.35:
        text = _typos(rng, text)
    if rng.random() < 0.2:
        text = _fullwidth(text)
    if rng.random() < 0.25:
        text = _s2t()(text)
    return text


# -- hard negatives and labelled sets ------------------------------------------------------


def unrelated(rng: random.Random, complaint: Complaint, *, group: int = -1) -> Complaint:
    """Another matter about the same unit: same target, often the same topic.

    One time in four the same person is accused of something of another topic; otherwise
    another person of the same unit, of the same topic three times in four. Amounts,
    dates, relatives and the facts told are drawn afresh. ``group`` labels the new matter.
    """
    same_person = rng.random() < 0.25
    same_topic = not same_person and rng.random() < 0.75
    topic = complaint.topic if same_topic else _related_topic(rng, complaint)
    fresh = _matter(rng, topic)
    unit, kind = _kind(complaint.target)
    name = complaint.subject if same_person else _subject_name(rng)
    slots = {**fresh.slots, "unit": unit, "role": rng.choice(_ROLES[kind]), "name": name}
    return _complaint(rng, replace(fresh, target=complaint.target, slots=slots), group)


def _related_topic(rng: random.Random, complaint: Complaint) -> str:
    village = complaint.target.endswith("村")
    pool = [
        t
        for t in TOPICS
        if t != complaint.topic and (t in ("funds", "welfare", "compensation", "land")) == village
    ]
    return rng.choice(pool or [complaint.topic])


def labelled(
    seed: int, n_seeds: int, paraphrases_per_seed: int, negatives_per_seed: int
) -> list[Complaint]:
    """Seed complaints, their paraphrases (same group) and hard negatives (own groups)."""
    rng = random.Random(seed)  # noqa: S311 (fiction, not secrets)
    out: list[Complaint] = []
    next_group = n_seeds
    for original in complaints(rng, n_seeds):
        out.append(original)
        # Each channel records the matter on its own, so every paraphrase starts from the
        # seed; two paraphrases are two rewordings apart.
        for _ in range(paraphrases_per_seed):
            out.append(replace(original, text=paraphrase(rng, original.text)))
        for _ in range(negatives_per_seed):
            out.append(unrelated(rng, original, group=next_group))
            next_group += 1
    rng.shuffle(out)
    return out


def labelled_set(
    seed: int, n_seeds: int, paraphrases_per_seed: int, negatives_per_seed: int
) -> list[tuple[str, int]]:
    """``labelled`` as (text, group) pairs: two texts are duplicates iff groups are equal."""
    return [
        (c.text, c.group) for c in labelled(seed, n_seeds, paraphrases_per_seed, negatives_per_seed)
    ]


# Short texts are built from parts rather than whole sentences, so that a million of them
# are as varied as a real registry: two unrelated ones share a few words, not a template.
_MISDEEDS = (
    "违规发放{obj}",
    "截留{obj}",
    "虚报冒领{obj}",
    "私分{obj}",
    "挪用{obj}",
    "套取{obj}",
    "优亲厚友分配{obj}",
    "拖欠群众{obj}",
    "克扣{obj}",
    "变相侵占{obj}",
    "长期拖延发放{obj}",
    "违规审批{obj}",
    "收受好处后把{obj}批给亲属",
    "擅自调整{obj}名单",
    "在{obj}中弄虚作假",
    "借{obj}之机索要好处",
    "把{obj}交给亲属经手",
    "虚增{obj}数量",
    "重复申报{obj}",
    "以{obj}名义报销私人开支",
)
_OBJECTS = (
    "危房改造补助",
    "退耕还林补贴",
    "耕地地力保护补贴",
    "养老保险补贴",
    "医疗救助金",
    "生态公益林补偿",
    "产业扶持资金",
    "残疾人两项补贴",
    "村集体鱼塘收益",
    "集体林地租金",
    "扶贫车间分红",
    "光伏电站收益",
    "农机购置补贴",
    "小额信贷贴息",
    "教育资助金",
    "临时救助金",
    "特困供养金",
    "高龄津贴",
    "水库移民后扶资金",
    "就业补贴",
    "一事一议奖补资金",
    "人居环境整治经费",
    "防汛救灾物资",
    "种粮补贴",
    "厕所改造补助",
    "易地搬迁安置房",
    "集体厂房租金",
    "土地流转费",
    "青苗补偿款",
    "征地安置补助",
    "村级办公经费",
    "党建活动经费",
    "公益性岗位工资",
    "护林员工资",
    "保洁员工资",
    "五保户供养金",
    "优抚金",
    "农房保险理赔款",
    "生猪养殖补贴",
    "茶叶种植补助",
    "果树苗木款",
    "道路养护经费",
    "饮水工程维修款",
    "学校营养餐经费",
    "村卫生室补助",
    "农村低保金",
    "节日慰问金",
)
_DETAILS = (
    "群众意见很大",
    "至今没有公开",
    "账目混乱",
    "涉及{count}户群众",
    "多次反映无果",
    "由其{relation}{rel}具体经手",
    "未经村民代表大会讨论",
    "资金去向不明",
    "相关手续不全",
    "公示名单与实际不符",
    "{other}可以证明",
    "发放记录有涂改痕迹",
    "部分群众至今没有领到",
    "有的户头已经去世多年",
    "受益人大多是其亲友",
    "上级检查时临时补了材料",
    "{place}的群众联名反映过",
    "村务公开栏从未公布",
    "去年已被通报过一次",
    "其本人拒不承认",
    "钱款通过{rel}的账户转出",
    "涉事{count}人",
    "镇里知情但没有处理",
    "审批表上的签字是代签的",
    "发放标准高于规定",
    "{date}以来一直如此",
    "{other}也参与其中",
    "现金发放没有签收",
    "票据是事后补开的",
    "多出的部分没有退回",
)


def _short_text(rng: random.Random) -> str:
    slots = _slots(rng, "", "", "")
    kind = rng.random()
    if kind < 0.6:
        unit, roles = _place(rng) + "村", _VILLAGE_ROLES
    elif kind < 0.8:
        unit, roles = _place(rng) + rng.choice(("镇", "乡")), _TOWN_ROLES
    else:
        unit, roles = "县" + rng.choice(_BUREAUS), _BUREAU_ROLES
    details = rng.sample(_DETAILS, rng.randint(1, 2))
    text = (
        (slots["date"] + "，" if rng.random() < 0.4 else "")
        + unit
        + rng.choice(roles)
        + _subject_name(rng)
        + rng.choice(_MISDEEDS).format(obj=rng.choice(_OBJECTS))
        + (slots["amount"] if rng.random() < 0.6 else "")
        + "".join("，" + d.format(**slots) for d in details)
        + "。"
    )
    if rng.random() < 0.3:
        text = rng.choice(_OPENINGS).replace("{unit}", "本地") + text + rng.choice(_CLOSINGS)
    return text


def short_texts(seed: int, n: int, *, repeat_share: float = 0.1) -> list[str]:
    """``n`` short complaints (~25-110 characters) for throughput runs.

    They are assembled from parts (unit, role, person, one of 20 misdeeds about one of 47
    kinds of money or goods, an amount, one or two of 30 details), so unrelated texts
    share a few words but rarely a whole phrase. About ``repeat_share`` of them paraphrase
    one of the last thousand texts, so the set has duplicate pairs to find, close together
    as in a real registry.
    """
    return [text for text, _ in short_labelled_set(seed, n, repeat_share=repeat_share)]


def short_labelled_set(seed: int, n: int, *, repeat_share: float = 0.1) -> list[tuple[str, int]]:
    """``short_texts`` with groups: a repeat has the group (the index) of its first text."""
    rng = random.Random(seed)  # noqa: S311 (fiction, not secrets)
    out: list[tuple[str, int]] = []
    for i in range(n):
        if out and rng.random() < repeat_share:
            text, group = out[-rng.randint(1, min(len(out), 1000))]
            out.append((paraphrase(rng, text), group))
        else:
            out.append((_short_text(rng), i))
    return out
