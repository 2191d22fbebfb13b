"""The default question bank for individual talks (pure data; no Django).

Written for this product: generic, fictional, no real names or cases. The office edits its
own copy in the app; this is what a new installation starts from. Questions are open and
ask for facts, examples, amounts, dates and who else knows, as a seasoned inspector asks.

Focus areas (DOMAIN.md, "What rounds look for"), their codes and their Chinese names:

County units and townships (三个聚焦, plus cadre selection checked in parallel):

* ``party_line``: 党的理论和路线方针政策及党中央重大决策部署在基层的贯彻落实
* ``corruption_near_people``: 群众身边腐败问题和不正之风 (integrity, 四风, funds, procurement
  and construction of major projects)
* ``weak_party_org``: 基层党组织软弱涣散、组织力欠缺
* ``cadre_selection``: 选人用人 (checked in parallel by the organisation department)
* ``rectification``: 巡察、审计等发现问题的整改 (shared with villages)

Villages and communities:

* ``three_assets``: 村集体资金、资产、资源 (三资)
* ``benefits``: 惠民惠农政策落实 (低保, 五保/特困, subsidies)
* ``elections_clans``: 村级换届选举、黑恶势力及其“保护伞”、宗族宗派势力干扰
* ``village_party_org``: 村党组织建设
* ``rectification``: 上轮巡察和审计等整改

Roles: see ``ROLES``. Profile tags say which targets a question suits: ``any``; ``unit``
(a county unit or township), ``village`` (a village or community); ``major_projects`` (the
target runs major projects: procurement and construction); ``funds`` (the target manages
special funds or subsidies).
"""

from __future__ import annotations

from dataclasses import dataclass

from xuncha.fieldwork.lib.interviewees import (
    ROLE_LEADERSHIP_MEMBER,
    ROLE_MAIN_LEADER,
    ROLE_MIDDLE_MANAGER,
    ROLE_PROJECT_PARTICIPANT,
    ROLE_PUBLIC,
    ROLE_RETIRED_LEADER,
    ROLE_STAFF,
    ROLES,
)

PARTY_LINE = "party_line"
CORRUPTION = "corruption_near_people"
WEAK_PARTY_ORG = "weak_party_org"
CADRE_SELECTION = "cadre_selection"
RECTIFICATION = "rectification"
THREE_ASSETS = "three_assets"
BENEFITS = "benefits"
ELECTIONS_CLANS = "elections_clans"
VILLAGE_PARTY_ORG = "village_party_org"

COUNTY_FOCUS_AREAS: tuple[str, ...] = (
    PARTY_LINE,
    CORRUPTION,
    WEAK_PARTY_ORG,
    CADRE_SELECTION,
    RECTIFICATION,
)
VILLAGE_FOCUS_AREAS: tuple[str, ...] = (
    THREE_ASSETS,
    BENEFITS,
    ELECTIONS_CLANS,
    VILLAGE_PARTY_ORG,
    RECTIFICATION,
)
FOCUS_AREAS: tuple[str, ...] = tuple(dict.fromkeys(COUNTY_FOCUS_AREAS + VILLAGE_FOCUS_AREAS))
FOCUS_AREA_NAMES_ZH: dict[str, str] = {
    PARTY_LINE: "贯彻落实党的路线方针政策和重大决策部署",
    CORRUPTION: "群众身边腐败问题和不正之风",
    WEAK_PARTY_ORG: "基层党组织软弱涣散、组织力欠缺",
    CADRE_SELECTION: "选人用人",
    RECTIFICATION: "巡察、审计等发现问题整改",
    THREE_ASSETS: "村集体“三资”管理",
    BENEFITS: "惠民惠农政策落实",
    ELECTIONS_CLANS: "换届选举、黑恶势力和宗族势力",
    VILLAGE_PARTY_ORG: "村党组织建设",
}

ANY = "any"
UNIT = "unit"
VILLAGE = "village"
MAJOR_PROJECTS = "major_projects"
FUNDS = "funds"
PROFILE_TAGS: tuple[str, ...] = (ANY, UNIT, VILLAGE, MAJOR_PROJECTS, FUNDS)

ML = ROLE_MAIN_LEADER
LM = ROLE_LEADERSHIP_MEMBER
MM = ROLE_MIDDLE_MANAGER
ST = ROLE_STAFF
RL = ROLE_RETIRED_LEADER
PP = ROLE_PROJECT_PARTICIPANT
PU = ROLE_PUBLIC
LEADERS = (ML, LM)
INSIDERS = (ML, LM, MM, ST, RL)
CADRES = (MM, ST)


@dataclass(frozen=True)
class Question:
    id: str  # stable code, e.g. "CN-07"; outlines and their history refer to it
    focus_area: str  # one of FOCUS_AREAS
    roles: tuple[str, ...]  # codes from ROLES
    profiles: tuple[str, ...]  # codes from PROFILE_TAGS (or an office's own tags)
    text_zh: str
    text_en: str


def _q(
    qid: str, area: str, roles: tuple[str, ...], profiles: tuple[str, ...], zh: str, en: str
) -> Question:
    return Question(qid, area, roles, profiles, zh, en)


DEFAULT_BANK: tuple[Question, ...] = (
    # -- party_line ---------------------------------------------------------------------
    _q(
        "PL-01",
        PARTY_LINE,
        (ML,),
        (ANY,),
        "近两年上级部署的重点任务中，本单位哪几项落实得最好、哪几项进度落后？落后的原因是什么，"
        "班子是怎么研究解决的？",
        "Of the key tasks set by higher levels in the last two years, which has the unit done "
        "best and which are behind? Why are they behind, and how did the leadership deal with it?",
    ),
    _q(
        "PL-02",
        PARTY_LINE,
        LEADERS,
        (UNIT,),
        "请举一个例子，说说党组（党委）会议是如何传达学习并研究落实上级重大决策部署的，"
        "会后形成了哪些具体措施，现在落实到什么程度？",
        "Give an example of how the Party group meeting studied a major decision from above and "
        "turned it into measures. What measures came out, and how far have they got?",
    ),
    _q(
        "PL-03",
        PARTY_LINE,
        LEADERS,
        (ANY,),
        "您分管的领域里，有没有政策执行中“打折扣、搞变通”或者只发文件不抓落实的情况？请讲具体事例。",
        "In the areas you oversee, has any policy been watered down, bent, or left at the stage "
        "of issuing documents? Please give concrete cases.",
    ),
    _q(
        "PL-04",
        PARTY_LINE,
        CADRES,
        (ANY,),
        "您所在科室承担的主要业务中，哪些工作存在只留痕、不见效的形式主义做法？举个例子说说。",
        "In your office's main work, where is there box-ticking that leaves paperwork but no "
        "results? Give an example.",
    ),
    _q(
        "PL-05",
        PARTY_LINE,
        (ML, LM, RL),
        (ANY,),
        "意识形态工作责任制在单位是怎么落实的？近年来遇到过哪些舆情或敏感事件，当时是怎么处置的？",
        "How is responsibility for ideological work carried out in the unit? What public-opinion "
        "or sensitive incidents arose in recent years, and how were they handled?",
    ),
    _q(
        "PL-06",
        PARTY_LINE,
        (PU,),
        (ANY,),
        "这几年上级的惠民政策和服务措施，在您身边落实得怎么样？有没有该享受没享受到、或者办事难的情况？",
        "How have the policies and services meant to benefit people worked out around you in "
        "recent years? Has anyone missed what they were entitled to, or found it hard to get "
        "things done?",
    ),
    _q(
        "PL-07",
        PARTY_LINE,
        (ML,),
        (ANY,),
        "您作为第一责任人，全面从严治党主体责任是怎么履行的？一年里专门研究过几次党风廉政建设，"
        "解决了哪些具体问题？",
        "As the person first responsible, how do you carry out the duty of strict Party "
        "governance? How many times a year did the leadership take up integrity work, and what "
        "concrete problems did it solve?",
    ),
    _q(
        "PL-08",
        PARTY_LINE,
        (MM,),
        (ANY,),
        "上级检查考核中，本单位有没有报送的数据、材料与实际不符的情况？哪些指标最容易“做账”？",
        "In inspections and assessments from above, has the unit ever reported figures or "
        "material that did not match reality? Which indicators are most easily dressed up?",
    ),
    _q(
        "PL-09",
        PARTY_LINE,
        (RL,),
        (ANY,),
        "您在任时推动的重点工作，现在延续得怎么样？有没有中途停下来或者方向改变的，原因是什么？",
        "How are the key tasks you pushed while in office going now? Were any dropped or turned "
        "in another direction, and why?",
    ),
    _q(
        "PL-10",
        PARTY_LINE,
        (ML, LM, MM),
        (VILLAGE,),
        "乡村振兴和产业发展项目在村里落实得怎么样？有哪些项目建成后闲置或效益不好，原因是什么？",
        "How have rural revitalisation and industry projects worked out in the village? Which "
        "stand idle or perform poorly after completion, and why?",
    ),
    # -- corruption_near_people -------------------------------------------------------------
    _q(
        "CN-01",
        CORRUPTION,
        INSIDERS,
        (ANY,),
        "单位公务接待、公车使用、差旅报销是怎么管理的？有没有超标准、无公函接待或者公车私用的情况？"
        "请举具体事例。",
        "How are official hospitality, cars and travel claims managed? Any hospitality above "
        "standard or without an official letter, or private use of official cars? Give cases.",
    ),
    _q(
        "CN-02",
        CORRUPTION,
        (ML, LM),
        (ANY,),
        "您本人和亲属有没有在本单位管理服务对象中经商办企业、承揽业务的情况？您了解班子其他成员有没有类似情况？",
        "Do you or your relatives run businesses or take contracts among those the unit "
        "regulates or serves? Do you know of such cases among other leadership members?",
    ),
    _q(
        "CN-03",
        CORRUPTION,
        (MM, ST),
        (ANY,),
        "报销中有没有用虚开发票、拆分发票或者以会议费、培训费名义列支其他开支的情况？"
        "经手人、审批人分别是谁？",
        "Have claims used false or split invoices, or booked other spending as meetings or "
        "training? Who handled them and who approved?",
    ),
    _q(
        "CN-04",
        CORRUPTION,
        (MM, ST, RL),
        (ANY,),
        "单位有没有“小金库”、账外账，或者把收入放在下属单位、协会、企业的情况？钱从哪里来，用到了哪里？",
        "Is there a slush fund, an off-book account, or income parked in a subordinate unit, an "
        "association or a company? Where does the money come from and where does it go?",
    ),
    _q(
        "CN-05",
        CORRUPTION,
        (PU,),
        (ANY,),
        "您或身边的人到这个单位办事时，有没有遇到吃拿卡要、推诿扯皮、“门难进、脸难看、事难办”的情况？"
        "具体是哪件事、什么时候、找的谁？",
        "When you or people you know dealt with this unit, did anyone ask for favours, pass you "
        "around or make things hard? Which matter, when, and with whom?",
    ),
    _q(
        "CN-06",
        CORRUPTION,
        LEADERS,
        (FUNDS,),
        "专项资金从申报、审核到拨付，各环节由谁把关？有没有挤占挪用、虚报冒领或者资金长期沉淀不用的情况？",
        "From application through review to payment of special funds, who checks each step? "
        "Has money been diverted, falsely claimed, or left unused for long periods?",
    ),
    _q(
        "CN-07",
        CORRUPTION,
        (MM, ST),
        (FUNDS,),
        "补贴资金发放对象是怎么确定和核实的？有没有发给不符合条件的人、重复发放或者发放不及时的情况？",
        "How are recipients of subsidies determined and checked? Any payments to ineligible "
        "people, double payments or late payments?",
    ),
    _q(
        "CN-08",
        CORRUPTION,
        (ML, LM, PP),
        (MAJOR_PROJECTS,),
        "近三年的重大项目是怎么立项和决策的？有没有未经集体研究、先上车后补票，"
        "或者由个人拍板的情况？",
        "How were major projects of the last three years approved? Were any started without a "
        "collective decision, approved after the fact, or decided by one person?",
    ),
    _q(
        "CN-09",
        CORRUPTION,
        (MM, PP),
        (MAJOR_PROJECTS,),
        "项目招标采购是怎么组织的？有没有化整为零规避招标、量身设置资格条件、围标串标，"
        "或者同一家企业反复中标的情况？",
        "How were tenders and procurement organised? Were contracts split to avoid tendering, "
        "qualifications tailored, bids rigged, or the same firm winning again and again?",
    ),
    _q(
        "CN-10",
        CORRUPTION,
        (PP,),
        (MAJOR_PROJECTS,),
        "项目施工中发生过哪些设计变更和工程签证？增加了多少金额，是谁提出、谁审批的，依据是什么？",
        "What design changes and site instructions occurred during construction? How much did "
        "they add, who proposed and approved them, and on what grounds?",
    ),
    _q(
        "CN-11",
        CORRUPTION,
        (PP, MM),
        (MAJOR_PROJECTS,),
        "工程款是按什么进度支付的？有没有超进度付款、未经验收或审计就结算，或者拖欠施工方款项的情况？",
        "On what schedule were works paid? Any payment ahead of progress, settlement without "
        "acceptance or audit, or arrears owed to contractors?",
    ),
    _q(
        "CN-12",
        CORRUPTION,
        (PP, ST),
        (MAJOR_PROJECTS,),
        "项目监理和验收是怎么进行的？您了解到的质量问题、偷工减料或者验收走过场的情况有哪些？",
        "How were supervision and acceptance carried out? What quality problems, cut corners or "
        "perfunctory acceptance do you know of?",
    ),
    _q(
        "CN-13",
        CORRUPTION,
        (ML, LM, RL),
        (MAJOR_PROJECTS,),
        "有没有领导干部或者其亲属、老部下插手项目、打招呼推荐施工队或供应商的情况？您本人接到过这样的请托吗？",
        "Have leading cadres, their relatives or former subordinates meddled in projects or "
        "recommended contractors or suppliers? Have you yourself received such requests?",
    ),
    _q(
        "CN-14",
        CORRUPTION,
        (PU, PP),
        (MAJOR_PROJECTS,),
        "这个项目在征地拆迁、补偿款发放或者施工过程中，有没有损害群众利益的情况？群众反映过什么意见？",
        "Did land acquisition, compensation or construction of this project harm people's "
        "interests? What did people complain about?",
    ),
    _q(
        "CN-15",
        CORRUPTION,
        (MM, ST),
        (ANY,),
        "政府采购的物品和服务，价格与市场价比较怎么样？采购后有没有闲置、不入账或者去向不明的？",
        "How do prices of goods and services bought compare with the market? Were any purchases "
        "left idle, kept off the books, or lost track of?",
    ),
    _q(
        "CN-16",
        CORRUPTION,
        (ML, LM, MM, RL),
        (ANY,),
        "逢年过节有没有收送礼品礼金、购物卡，或者借婚丧喜庆敛财的情况？您听说过哪些具体事例？",
        "Around holidays, have gifts, cash or shopping cards been given or taken, or weddings and "
        "funerals used to collect money? What concrete cases have you heard of?",
    ),
    # -- weak_party_org ---------------------------------------------------------------------
    _q(
        "PO-01",
        WEAK_PARTY_ORG,
        LEADERS,
        (ANY,),
        "“三重一大”事项是怎么集体决策的？请举一个近一年的例子，说说会前是否充分酝酿、会上有没有不同意见、"
        "最后怎么定的。",
        "How are major matters decided collectively? Take an example from the past year: was "
        "it discussed beforehand, were there different views at the meeting, and how was it "
        "settled?",
    ),
    _q(
        "PO-02",
        WEAK_PARTY_ORG,
        (ML,),
        (ANY,),
        "班子成员之间的团结和沟通怎么样？在哪些事情上有过明显分歧，是怎么解决的？",
        "How united are the leadership members, and how well do they talk to each other? On what "
        "matters were there clear disagreements, and how were they resolved?",
    ),
    _q(
        "PO-03",
        WEAK_PARTY_ORG,
        (LM, MM, RL),
        (ANY,),
        "主要负责人在决策时能不能听取不同意见？有没有搞“一言堂”或者个人说了算的情况？请讲具体的事。",
        "Does the main leader listen to other views when deciding? Has one person's word been "
        "final? Please describe actual matters.",
    ),
    _q(
        "PO-04",
        WEAK_PARTY_ORG,
        CADRES,
        (ANY,),
        "“三会一课”、主题党日、组织生活会平时是怎么开的？有没有补记录、以业务会代替党的会议的情况？",
        "How are branch meetings, Party classes, theme days and self-criticism meetings "
        "actually held? Are minutes written afterwards, or business meetings passed off as Party "
        "meetings?",
    ),
    _q(
        "PO-05",
        WEAK_PARTY_ORG,
        LEADERS,
        (ANY,),
        "民主生活会上，班子成员之间的批评是怎么提的？请举出您提过或者收到的具体批评意见，后来整改了没有？",
        "At the leadership's self-criticism meetings, how is criticism raised? Cite criticism "
        "you gave or received, and whether it was acted on.",
    ),
    _q(
        "PO-06",
        WEAK_PARTY_ORG,
        (MM, ST),
        (ANY,),
        "党费收缴、党员发展和组织关系管理中，有没有不规范的地方？比如党费少交、发展程序倒置、“口袋党员”等。",
        "Are there irregularities in dues, recruitment or membership records, such as dues "
        "underpaid, steps of recruitment reversed, or members whose records sit unfiled?",
    ),
    _q(
        "PO-07",
        WEAK_PARTY_ORG,
        (ML, LM),
        (ANY,),
        "对干部苗头性、倾向性问题，单位运用第一种形态做过哪些提醒谈话、批评教育？请讲一两个例子和效果。",
        "What reminder talks or criticism has the unit used on early signs of cadre misconduct? "
        "Give one or two examples and what came of them.",
    ),
    _q(
        "PO-08",
        WEAK_PARTY_ORG,
        (RL,),
        (ANY,),
        "您离开领导岗位后，单位的风气和班子的战斗力有什么变化？您认为现在最突出的问题是什么？",
        "Since you left the leadership, how have the unit's ethos and the leadership's "
        "effectiveness changed? What do you see as the most pressing problem now?",
    ),
    _q(
        "PO-09",
        WEAK_PARTY_ORG,
        (ST,),
        (ANY,),
        "干部职工有意见和建议时，通过什么渠道反映？反映后有没有回应？举个例子说说。",
        "Through what channels do staff raise opinions and suggestions? Were they answered? "
        "Give an example.",
    ),
    # -- cadre_selection --------------------------------------------------------------------
    _q(
        "CS-01",
        CADRE_SELECTION,
        LEADERS,
        (UNIT,),
        "近几年干部提拔、调整是怎么动议和酝酿的？有没有临时动议、突击提拔或者“带病提拔”的情况？",
        "How have promotions and transfers been proposed in recent years? Any last-minute "
        "motions, rushed promotions, or cadres promoted despite known problems?",
    ),
    _q(
        "CS-02",
        CADRE_SELECTION,
        (MM, ST),
        (UNIT,),
        "干部选拔、评先评优、职称评定中，有没有打招呼、说情、论资排辈或者“近亲繁殖”的情况？请讲具体的人和事。",
        "In selection, awards or titles, has anyone lobbied or interceded, or has seniority or "
        "favouritism decided? Name the matters concretely.",
    ),
    _q(
        "CS-03",
        CADRE_SELECTION,
        (ML,),
        (UNIT,),
        "编制使用和人员进出是怎么管理的？有没有超编进人、借调长期不还、吃空饷的情况？",
        "How are staffing quotas and hiring managed? Any hiring beyond the quota, secondments "
        "never ended, or pay drawn by people who do not work?",
    ),
    _q(
        "CS-04",
        CADRE_SELECTION,
        (LM, MM),
        (UNIT,),
        "干部人事档案和个人有关事项报告是怎么审核的？您了解有没有年龄、学历、经历造假或者漏报瞒报的情况？",
        "How are personnel files and personal-matters reports checked? Do you know of falsified "
        "age, education or career, or matters left out or hidden?",
    ),
    _q(
        "CS-05",
        CADRE_SELECTION,
        (RL,),
        (UNIT,),
        "您在任期间，干部选任工作中有没有留下遗留问题？有没有您当时不同意但最终还是通过的人选？",
        "Were problems in cadre selection left over from your term? Were there appointments you "
        "opposed that went through anyway?",
    ),
    _q(
        "CS-06",
        CADRE_SELECTION,
        (ST,),
        (UNIT,),
        "干部考核评价能不能真实反映工作实绩？考核结果在提拔使用中起了多大作用？请举例。",
        "Do cadre assessments reflect real performance? How much do results weigh in "
        "promotions? Give examples.",
    ),
    _q(
        "CS-07",
        CADRE_SELECTION,
        (ML, LM),
        (UNIT,),
        "年轻干部培养和关键岗位轮岗交流是怎么安排的？财务、采购等岗位有没有人长期不动？",
        "How are young cadres trained and key posts rotated? Has anyone stayed in finance, "
        "procurement or similar posts for a long time?",
    ),
    # -- three_assets ----------------------------------------------------------------------
    _q(
        "TA-01",
        THREE_ASSETS,
        (ML, LM),
        (VILLAGE,),
        "村集体现在有哪些资金、资产和资源？每年收入多少、主要来自哪里、都用在了什么地方？",
        "What funds, assets and resources does the village collective hold? How much income is "
        "there each year, where does it come from, and what is it spent on?",
    ),
    _q(
        "TA-02",
        THREE_ASSETS,
        (ML, LM, MM),
        (VILLAGE,),
        "集体土地、山林、水面、厂房的发包出租是怎么进行的？有没有低价发包、合同期过长、不公开竞价或者租金收不上来的情况？",
        "How were collective land, forest, water and buildings contracted out? Any leases below "
        "value, overly long terms, no open bidding, or rent left uncollected?",
    ),
    _q(
        "TA-03",
        THREE_ASSETS,
        (MM, ST),
        (VILLAGE,),
        "村里的账是怎么记的？现金有没有坐收坐支、白条入账、公款私存，或者村干部垫支后自己报销的情况？",
        "How are the village accounts kept? Is cash spent straight from receipts, are IOUs "
        "booked, is public money in private accounts, or do cadres pay and reimburse themselves?",
    ),
    _q(
        "TA-04",
        THREE_ASSETS,
        (PU,),
        (VILLAGE,),
        "村务、财务公开您看得到吗？公开的内容能看懂吗？有没有您觉得对不上、或者想问却问不到的账目？",
        "Can you see the village's public accounts and affairs? Are they understandable? Are "
        "there items that do not add up, or that you wanted to ask about but could not?",
    ),
    _q(
        "TA-05",
        THREE_ASSETS,
        (ML, LM, RL),
        (VILLAGE,),
        "村集体的重大事项是否按“四议两公开”程序决定？请举近两年一件大额开支或资产处置的例子，说说经过。",
        "Are major village matters decided by the four-step deliberation with two disclosures? "
        "Walk through a large expense or asset disposal of the last two years.",
    ),
    _q(
        "TA-06",
        THREE_ASSETS,
        (ML, LM, PP),
        (VILLAGE,),
        "村里的小型工程是怎么定施工队的？有没有村干部本人或亲属承包、拆分工程规避招标、虚增工程量的情况？",
        "How are contractors chosen for small village works? Have cadres or their relatives "
        "taken contracts, works been split to avoid tendering, or quantities inflated?",
    ),
    _q(
        "TA-07",
        THREE_ASSETS,
        (PU, RL),
        (VILLAGE,),
        "征地补偿款、集体经营收益是怎么分配的？村民得到了多少？有没有截留、克扣或者分配不公的情况？",
        "How were land compensation and collective earnings shared? How much did villagers get? "
        "Was any of it withheld, cut or unfairly shared?",
    ),
    _q(
        "TA-08",
        THREE_ASSETS,
        (MM, ST),
        (VILLAGE,),
        "村级债权债务有多少？哪些是这几届班子新增的、为什么产生？有没有借集体名义为个人借款担保的？",
        "What does the village owe and what is owed to it? Which debts were added by recent "
        "committees, and why? Has the collective's name been used to guarantee private loans?",
    ),
    _q(
        "TA-09",
        THREE_ASSETS,
        (ML, MM),
        (VILLAGE,),
        "村集体经济合作社或村办企业是怎么经营的？账目是否独立、收益是否入账，有没有亏损和闲置资产？",
        "How are the collective's cooperative or village enterprises run? Are accounts separate "
        "and earnings booked? Any losses or idle assets?",
    ),
    _q(
        "TA-10",
        THREE_ASSETS,
        (ML, LM),
        (VILLAGE,),
        "村干部的误工补贴、报酬和各类补助是怎么定、怎么发的？有没有超标准发放或者没有依据的开支？",
        "How are village cadres' allowances, pay and other payments set and paid? Any paid above "
        "standard or without a basis?",
    ),
    _q(
        "TA-11",
        THREE_ASSETS,
        (PU,),
        (VILLAGE,),
        "村里的集体土地、房屋或者机器，现在是谁在用？有没有被个别人长期占用或者私下处置的？",
        "Who uses the village's collective land, buildings or machinery now? Has anything been "
        "occupied for years by individuals or disposed of privately?",
    ),
    _q(
        "TA-12",
        THREE_ASSETS,
        (RL, ST),
        (VILLAGE,),
        "村级换届时财务是否经过审计、交接清楚？有没有交接不清、资料缺失或者账实不符的情况？",
        "Were the accounts audited and handed over clearly at the last change of committee? Any "
        "unclear handover, missing records, or books not matching reality?",
    ),
    _q(
        "TA-13",
        THREE_ASSETS,
        (PP, MM),
        (VILLAGE,),
        "村里近几年的道路、水利、人居环境等项目，资金有多少、从哪里来？实际完成的工程量和结算的工程量对得上吗？",
        "For the village's road, water and living-environment projects of recent years, how "
        "much money was there and from where? Does the work actually done match the work paid?",
    ),
    _q(
        "TA-14",
        THREE_ASSETS,
        (PP, ST),
        (VILLAGE,),
        "项目用工和材料采购是怎么安排的？有没有虚列民工工资、材料以次充好或者多报数量的情况？请讲具体的事。",
        "How were labour and materials arranged for the projects? Were workers' wages padded, "
        "inferior materials used, or quantities overstated? Please tell what actually happened.",
    ),
    # -- benefits ---------------------------------------------------------------------------
    _q(
        "BN-01",
        BENEFITS,
        (ML, LM),
        (VILLAGE,),
        "低保、特困供养对象是怎么评议和确定的？评议会都有谁参加，结果有没有公示？请以最近一次评议为例说说。",
        "How are minimum-income and destitute-support households assessed and decided? Who "
        "attends the assessment, and is the result posted? Describe the latest one.",
    ),
    _q(
        "BN-02",
        BENEFITS,
        (PU,),
        (VILLAGE,),
        "您了解村里有没有家里条件好、有车有房却吃低保的？有没有真正困难却没评上的？能说说是哪几户吗？",
        "Do you know of well-off households, with cars or houses, on minimum income in the "
        "village? Or households in real hardship left out? Which ones?",
    ),
    _q(
        "BN-03",
        BENEFITS,
        (MM, ST),
        (VILLAGE, FUNDS),
        "村干部及其亲属中有哪些人享受低保、困难救助或者各类补贴？他们是怎么评上的？",
        "Which village cadres or relatives of cadres receive minimum income, hardship aid or "
        "subsidies? How were they approved?",
    ),
    _q(
        "BN-04",
        BENEFITS,
        (ML, MM),
        (VILLAGE, FUNDS),
        "低保和补贴对象去世、外出务工或者条件改善后，是怎么及时退出的？有没有去世多年还在领取的？",
        "How are minimum-income and subsidy recipients removed after death, moving away for work "
        "or a better situation? Are any still paid years after death?",
    ),
    _q(
        "BN-05",
        BENEFITS,
        (PU,),
        (VILLAGE, FUNDS),
        "耕地地力、危房改造、养老等补贴，您家应该领多少、实际领到多少？有没有被代领、少发或者要求返还一部分的？",
        "For farmland, house-repair or pension subsidies, how much should your household get and "
        "how much did it get? Was any collected by someone else, cut, or partly demanded back?",
    ),
    _q(
        "BN-06",
        BENEFITS,
        (ML, LM),
        (VILLAGE, FUNDS),
        "各类补贴的申报数据由谁采集、谁审核？面积、人数这些数据和实际对得上吗？有没有虚报冒领的？",
        "Who collects and checks the data for subsidy claims? Do the areas and headcounts match "
        "reality? Any false claims?",
    ),
    _q(
        "BN-07",
        BENEFITS,
        (ST, RL),
        (VILLAGE,),
        "群众的社保卡、存折有没有由村干部统一保管的情况？保管的理由是什么，群众知情吗？",
        "Are villagers' social security cards or bank books held by village cadres? Why, and do "
        "the villagers know?",
    ),
    _q(
        "BN-08",
        BENEFITS,
        (PU,),
        (VILLAGE,),
        "您申请低保、救助或者办理其他事情时，有没有人向您要好处、让您请客送礼，或者说“不找关系办不成”？",
        "When you applied for minimum income, aid or anything else, did anyone ask for a favour, "
        "a meal or a gift, or say it would not work without connections?",
    ),
    _q(
        "BN-09",
        BENEFITS,
        (MM, ST),
        (VILLAGE,),
        "困难群众的临时救助、医疗救助是怎么申请和审批的？从申请到拿到钱要多长时间？有没有卡住的环节？",
        "How are emergency and medical aid applied for and approved? How long from application "
        "to payment? Where does it get stuck?",
    ),
    _q(
        "BN-10",
        BENEFITS,
        (ML, LM, MM),
        (FUNDS,),
        "本单位管理的惠民补贴，发放名单和上级数据比对过吗？比对中发现了哪些问题，怎么处理的？",
        "Has the unit compared the lists for the benefits it pays against other records? What "
        "problems did the comparison find, and how were they handled?",
    ),
    _q(
        "BN-11",
        BENEFITS,
        (RL,),
        (VILLAGE,),
        "您在任时，低保评定中碰到过哪些说情、打招呼的情况？现在这些户的情况怎么样？",
        "While you were in office, who lobbied or interceded in minimum-income decisions? How "
        "do those households stand now?",
    ),
    # -- elections_clans --------------------------------------------------------------------
    _q(
        "EC-01",
        ELECTIONS_CLANS,
        (ML, LM),
        (VILLAGE,),
        "上次村“两委”换届是怎么组织的？有没有拉票贿选、宗族势力干扰，或者候选人资格把关不严的情况？",
        "How was the last village committee election run? Any canvassing, vote-buying, clan "
        "interference, or lax checks on candidates?",
    ),
    _q(
        "EC-02",
        ELECTIONS_CLANS,
        (PU,),
        (VILLAGE,),
        "村里有没有人称“村霸”、强揽工程、欺压群众的人？他们背后有没有人撑腰？请讲您知道的具体事情。",
        "Is there anyone in the village known as a bully who seizes contracts or oppresses "
        "people? Is someone protecting them? Please tell what you know concretely.",
    ),
    _q(
        "EC-03",
        ELECTIONS_CLANS,
        (MM, ST),
        (VILLAGE,),
        "村里的大姓、大家族对村务决策影响有多大？有没有因为家族关系在分配、用人上照顾自家人的情况？",
        "How much do the large families and clans sway village decisions? Have family ties led "
        "to favours in shares or appointments?",
    ),
    _q(
        "EC-04",
        ELECTIONS_CLANS,
        (PU, RL),
        (VILLAGE,),
        "选举时有没有人上门送钱送物、请吃饭或者许诺好处？是谁、在什么时候、给了什么？",
        "At election time, did anyone come with money or gifts, invite people to meals, or "
        "promise favours? Who, when, and what was given?",
    ),
    _q(
        "EC-05",
        ELECTIONS_CLANS,
        (ML,),
        (VILLAGE,),
        "村干部中有没有受过刑事处罚、涉黑涉恶或者长期不在村的人？当初是怎么把关的？",
        "Are there village cadres with criminal records, links to gangs, or who are rarely in "
        "the village? How were they vetted?",
    ),
    _q(
        "EC-06",
        ELECTIONS_CLANS,
        (LM, MM),
        (VILLAGE,),
        "扫黑除恶以来，村里排查出哪些涉黑涉恶线索？处理结果怎么样，有没有死灰复燃的？",
        "Since the campaign against gangs, what leads were found in the village? What came of "
        "them, and has anything come back?",
    ),
    _q(
        "EC-07",
        ELECTIONS_CLANS,
        (PU,),
        (VILLAGE,),
        "群众对村干部有意见时敢不敢说？有没有反映问题后被打击报复、刁难的情况？",
        "Do villagers dare to speak up about village cadres? Has anyone been retaliated against "
        "or obstructed after complaining?",
    ),
    _q(
        "EC-08",
        ELECTIONS_CLANS,
        (RL, ST),
        (VILLAGE,),
        "村里的矛盾纠纷、信访问题主要集中在哪些方面？长期化解不了的是什么原因？",
        "What do the village's disputes and petitions mostly concern? Why have some not been "
        "settled for a long time?",
    ),
    # -- village_party_org ------------------------------------------------------------------
    _q(
        "VP-01",
        VILLAGE_PARTY_ORG,
        (ML,),
        (VILLAGE,),
        "村党组织书记是怎么发挥领头作用的？“一肩挑”以后，权力是怎么监督的？请举例说说村务监督委员会起了什么作用。",
        "How does the village Party secretary lead? Since the posts were combined, how is power "
        "checked? Give an example of what the village supervision committee did.",
    ),
    _q(
        "VP-02",
        VILLAGE_PARTY_ORG,
        (LM, MM),
        (VILLAGE,),
        "村党支部“三会一课”和主题党日活动平时开得怎么样？流动党员、老党员是怎么参加的？",
        "How are the village branch's meetings and Party days actually held? How do members "
        "who work away and elderly members take part?",
    ),
    _q(
        "VP-03",
        VILLAGE_PARTY_ORG,
        (PU,),
        (VILLAGE,),
        "村干部平时在不在村里、好不好找？您遇到困难去找他们，一般是怎么处理的？请举个例子。",
        "Are village cadres usually in the village and easy to find? When you took a problem "
        "to them, how was it handled? Give an example.",
    ),
    _q(
        "VP-04",
        VILLAGE_PARTY_ORG,
        (ML, LM),
        (VILLAGE,),
        "近几年发展党员是怎么确定人选的？有没有家族化、突击发展或者长期不发展党员的情况？",
        "How were new Party members chosen in recent years? Has recruitment kept to one family, "
        "been rushed, or stopped for years?",
    ),
    _q(
        "VP-05",
        VILLAGE_PARTY_ORG,
        (RL, ST),
        (VILLAGE,),
        "村“两委”班子之间、干部与党员群众之间关系怎么样？有没有不团结、相互拆台的情况？",
        "How do the two village committees get on with each other, and cadres with members and "
        "villagers? Any disunity or undermining each other?",
    ),
    _q(
        "VP-06",
        VILLAGE_PARTY_ORG,
        (ML, MM),
        (VILLAGE,),
        "乡镇驻村干部、第一书记在村里实际做了哪些工作？有没有挂名不驻村的情况？",
        "What have township cadres stationed in the village and the first secretary actually "
        "done? Are any posted in name only?",
    ),
    _q(
        "VP-07",
        VILLAGE_PARTY_ORG,
        (PU,),
        (VILLAGE,),
        "村里的党员在群众中口碑怎么样？您印象中哪些事情党员带头做了，哪些事情党员没起好作用？",
        "What do villagers think of the Party members? What did members lead on, and where did "
        "they fall short?",
    ),
    _q(
        "VP-08",
        VILLAGE_PARTY_ORG,
        (RL,),
        (VILLAGE,),
        "您卸任后，新班子接手的主要难题是什么？有没有您任上遗留、至今没有解决的问题？",
        "Since you stepped down, what main difficulties did the new committee inherit? Are "
        "there problems from your term still unresolved?",
    ),
    # -- rectification ----------------------------------------------------------------------
    _q(
        "RC-01",
        RECTIFICATION,
        (ML,),
        (ANY,),
        "上一轮巡察和审计反馈的问题，整改是怎么部署的？哪些已经彻底解决，哪些还在整改，原因是什么？",
        "How was rectification of the last inspection's and audit's findings organised? Which "
        "are fully solved, which are still open, and why?",
    ),
    _q(
        "RC-02",
        RECTIFICATION,
        (LM, MM),
        (ANY,),
        "您负责的整改事项，实际采取了哪些措施？有没有只建制度不见实效、或者整改后问题反弹的情况？",
        "For the rectification items you were responsible for, what was actually done? Any "
        "rules written without effect, or problems that came back after rectification?",
    ),
    _q(
        "RC-03",
        RECTIFICATION,
        (ST, PU),
        (ANY,),
        "上次巡察后，您身边有哪些变化是看得见的？哪些问题当时说整改了，但到现在还是老样子？",
        "What visible changes have there been around you since the last inspection? Which "
        "problems were said to be fixed but remain as before?",
    ),
    _q(
        "RC-04",
        RECTIFICATION,
        (RL,),
        (ANY,),
        "上一轮巡察时您还在任，当时反馈的问题是怎么形成的？整改中有没有避重就轻的地方？",
        "You were in office at the last inspection: how did the findings come about? Did the "
        "rectification dodge the hard parts anywhere?",
    ),
    _q(
        "RC-05",
        RECTIFICATION,
        (ML, LM),
        (ANY,),
        "移交的问题线索，本单位配合处置得怎么样？对相关责任人是怎么追责问责的？",
        "How did the unit cooperate with the handling of clues that were handed over? How were "
        "the people responsible held to account?",
    ),
    _q(
        "RC-06",
        RECTIFICATION,
        (MM, ST),
        (ANY,),
        "整改台账上的佐证材料都是真实的吗？有没有为了销号补材料、做样子的情况？",
        "Is the evidence in the rectification ledger genuine? Were documents produced after the "
        "fact just to close items?",
    ),
    _q(
        "RC-07",
        RECTIFICATION,
        (ML, MM),
        (VILLAGE,),
        "上轮巡察指出的村级问题，比如“三资”管理、低保评定，现在是怎么改的？群众认不认可？",
        "How have village problems named by the last inspection, such as collective assets or "
        "minimum-income decisions, been fixed? Do villagers accept the result?",
    ),
    _q(
        "RC-08",
        RECTIFICATION,
        (PP, MM),
        (MAJOR_PROJECTS, VILLAGE),
        "审计、巡察或者上级检查对这个项目提出过哪些问题？后来是怎么整改的，资金追回了没有？",
        "What problems did audits, inspections or checks from above raise about this project? "
        "How were they rectified, and was any money recovered?",
    ),
)


def validate_bank(bank: tuple[Question, ...] | list[Question]) -> list[str]:
    """What is wrong with a bank (an office's edited copy): an empty list when nothing."""
    problems = []
    seen: set[str] = set()
    for q in bank:
        if q.id in seen:
            problems.append(f"{q.id}: duplicate id")
        seen.add(q.id)
        if q.focus_area not in FOCUS_AREAS:
            problems.append(f"{q.id}: unknown focus area {q.focus_area!r}")
        if not q.roles:
            problems.append(f"{q.id}: no role")
        problems.extend(f"{q.id}: unknown role {r!r}" for r in q.roles if r not in ROLES)
        if not q.profiles:
            problems.append(f"{q.id}: no profile tag")
        if not q.text_zh.strip() or not q.text_en.strip():
            problems.append(f"{q.id}: a text is empty")
    return problems
