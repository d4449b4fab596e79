"""Bodies (主体) that act in the law: mining them, telling them apart, naming other tiers of government."""

from __future__ import annotations

import re

from knowledge.models import ITEM_RE

_HAN = "\u4e00-\u9fff"
_SUBJECT = re.compile(
    rf"(?:^|(?<=[，。；：:]))(?P<s>[{_HAN}、]{{2,30}}?)(?=应当|应|负责|主管|不得|可以|有权|必须|须|享有|承担)"
)
# 省、自治区、直辖市人民政府 is one body: never split it, never blank a third of it.
_BODY_PARTS = re.compile(r"(?<!省)(?<!自治区)、|以及|及其(?=有关|所属)|及|和|与|或者")
_BODY_END = (
    "部门", "机关", "机构", "人民政府", "委员会", "法院", "检察院", "学校", "幼儿园", "单位", "组织",
    "企业", "者", "人", "父母", "家长", "法人", "国务院", "全社会", "院", "局",
)  # fmt: skip
# Words that show a phrase is a clause, not a name: 告知申请人, 鼓励社会组织, 具体办法由…部门.
_NOT_IN_BODY = re.compile(
    r"[对并的在应未除经依只也但凡如若因按据该前款条第可被将从给向是不由自为之]|^任何|^有关|^其|^两|^乡$|^人民政府."
    r"|告知|督促|干涉|鼓励|支持|取得|认定|没有|设立|交付|保证期间|规定|确定|实行|拒绝|威胁|出版|故意|阻碍"
    r"|协议|具体|指导|要求|通知|责令|提请|报请|会同|配合|协助|下列|同一|期间|两个以上|等"
    # 本机关, 各部门, 一切国家机关 only point back at bodies named elsewhere; 指定专人, 举办民办学校 and
    # 承包期内发包人 are clauses cut at the wrong place.
    r"|^本|^各(?!级)|^一切|^指定|^举办(?!者)|期内"
)
_GENERIC_BODIES = {"个人", "他人", "本人", "私人", "行为人", "当事人", "第三人", "机关", "机构", "组织", "单位"}
BODY_BEFORE = r"(?:^|(?<=[，。；：:由向经报])|(?<=[^区]、)|(?<=会同))"
# What may follow a body that acts: punctuation, a conjunction or the first character of a verb;
# 学校安全, 学校负责人 or 国务院有关部门 go on naming something else.
BODY_AFTER = (
    r"(?=[，。；：:、和及与或的应不可负主有依会按根在对向为是也都均还须必将予给作实建制组采加提保履执开做协配享承"
    r"规设批审办备报处指支鼓统落完健引督监检核发受])(?!负责人|主管部门|有关|所属|工作人员|人员)"
)


def body_key(body: str) -> str:
    """Reduce a body to what tells it apart: 县级以上地方各级人民政府 and 县级以上人民政府 are one."""
    return re.sub(r"地方|各级|有关|的", "", body)


_LEVELS = "国省市县乡"
_LEVEL_PREFIXES = (  # (prefix, the tier it names; with 以上 it names the tiers above too)
    ("国务院", "国"), ("省、自治区、直辖市", "省"), ("省级", "省"), ("设区的市级", "市"), ("设区的市", "市"),
    ("县级", "县"), ("乡镇", "乡"), ("乡级", "乡"),
)  # fmt: skip


def levels(body: str) -> set[str] | None:
    """Return the tiers of government a body covers (县级以上人民政府: 国省市县), None if it is not a government's."""
    if "人民政府" not in body and not body.startswith("国务院"):
        return None
    local = set(_LEVELS) - {"国"} if "地方" in body else set(_LEVELS)
    for prefix, level in _LEVEL_PREFIXES:
        if body.startswith(prefix):
            rest = body[len(prefix) :]
            if rest.startswith("以上"):
                return set(_LEVELS[: _LEVELS.index(level) + 1]) & local
            return {level}
    return local  # 各级, 地方各级, 上级, 本级: any tier may be meant


_TIER_NAMES = {
    "国": "国务院",
    "省": "省级人民政府",
    "市": "设区的市级人民政府",
    "县": "县级人民政府",
    "乡": "乡镇人民政府",
}


def other_tiers_of(body: str) -> list[str]:
    """Name the same office at other tiers: 国务院教育行政部门 -> 省级人民政府教育行政部门, 县级人民政府教育行政部门."""
    if levels(body) is None:
        return []
    office = body[len("国务院") :] if body.startswith("国务院") else body.split("人民政府", 1)[1]
    # 乡镇 governments have no departments of their own.
    names = [name + office for tier, name in _TIER_NAMES.items() if not (tier == "乡" and office)]
    return [name for name in names if name != body]


def distinct_bodies(one: str, other: str) -> bool:
    """Tell whether two bodies are surely different: not one inside the other, no tier of government shared."""
    key, other_key = body_key(one), body_key(other)
    if key in other_key or other_key in key:
        return False
    tiers, other_tiers = levels(one), levels(other)
    # 县级以上人民政府教育行政部门 includes 国务院教育行政部门: a question offering both has two answers.
    if tiers is None or other_tiers is None or _is_government(one) != _is_government(other):
        return True
    return not tiers & other_tiers


def _is_government(body: str) -> bool:
    return body.endswith("人民政府") or body == "国务院"


GOVERNMENT, OFFICE, INSTITUTION, PERSON = "government", "office", "institution", "person"
_INSTITUTION_END = ("学校", "幼儿园", "单位", "组织", "企业", "全社会", "居民委员会", "村民委员会", "业主委员会")
_OFFICE_END = ("部门", "机关", "机构", "委员会", "法院", "检察院", "院", "局")
# 医疗机构, 校外培训机构 serve people; 消防救援机构, 统计机构 are the state's own offices.
_SERVICE_BODY = re.compile(r"(?:服务|培训|医疗|养老|托幼|教育|检验|认证|仲裁)机构$")


def body_class(body: str) -> str:
    """Tell what a body is: a government, an office of the state, an institution or a person.

    Only bodies of one class make a fair question: beside 乘车人 the options 国务院公安部门 and
    县级以上地方各级人民政府 are absurd, whatever the member knows.
    """
    if _is_government(body):
        return GOVERNMENT
    if body.endswith(_INSTITUTION_END) or _SERVICE_BODY.search(body):
        return INSTITUTION
    if body.endswith(_OFFICE_END):
        return OFFICE
    return PERSON  # 者, 人, 父母, 家长, 法人


def mine_bodies(text: str) -> set[str]:
    """Find the bodies that act as subjects (…应当, …负责) in an article's text."""
    bodies: set[str] = set()
    for line in text.split("\n"):
        for match in _SUBJECT.finditer(ITEM_RE.sub("", line)):
            for part in _BODY_PARTS.split(match.group("s")):
                if 2 <= len(part) <= 16 and part.endswith(_BODY_END) and not _NOT_IN_BODY.search(part):
                    bodies.add(part)
    return bodies - _GENERIC_BODIES
