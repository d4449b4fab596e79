"""Generate quiz questions from articles: cloze, true/false, which law and which article."""

from __future__ import annotations

import itertools
import math
import random
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from knowledge import messages as M
from knowledge.models import ITEM_RE, Article, short_title
from knowledge.numerals import ArticleNo, cn_to_int, int_to_cn
from knowledge.quizzes import (
    BLANK,
    EXPLANATION_MAX,
    OPTION_MAX,
    TRUEFALSE_OPTIONS,
    QuizQuestion,
    clip,
    normalize_option,
    plain,
    validate,
)

CHOICES = 4  # options of a generated single-choice question
TRIES = 12  # candidates a generator may try before giving up on an article
QUOTE_MIN, QUOTE_MAX = 8, 150
SENTENCE_MAX = 240  # leaves room in the 300-character stem for the template

# --- articles that make bad questions --------------------------------------------------

_BOILERPLATE = re.compile(
    r"^本(?:法|条例|规定|办法|决定|细则)(?:自.{0,40}施行|由.{0,30}负责解释)|^[（(](?:删去|删除)[)）]$|^(?:删去|删除)$"
)


def is_boilerplate(article: Article) -> bool:
    """Tell whether an article says nothing worth asking: 本法自…起施行, 本条例由…负责解释, （删去）."""
    return bool(_BOILERPLATE.match(article.text.strip()))


# --- sentences ------------------------------------------------------------------------

_SENTENCE = re.compile(r"[^。]+。?")
_PIECE = re.compile(r"[^；;]+[；;]?")
_CONTEXTUAL = re.compile(r"前[款项]|前[两二三四五六七]+[款项]|本条(?!例)|上述|前述|下列|如下")
# A piece after ； that opens with these leans on the piece before it: 情节严重的，处…
_CONTINUATION = re.compile(r"^(?:但|也|并|且|或者|其中|同时|否则|因而|从而|其(?!他)|该|对其|[^，。]{1,20}的，)")
_LEAD_IN = ("：", ":")
_DEFINITION = re.compile(r"是指|指的是")


@dataclass(frozen=True)
class Sentence:
    """A sentence (to 。) or a piece of one (to ；) of an article, item marker dropped, ending with 。."""

    text: str
    item: bool = False
    lead_in: bool = False
    continuation: bool = False

    @property
    def quote(self) -> str:
        """Return the sentence without its final punctuation, for quoting inside “”."""
        return self.text.rstrip("。；;")

    @property
    def inner_quote(self) -> str:
        """Return the quote fit to stand inside “”: its own “” become ‘’."""
        return self.quote.replace("“", "‘").replace("”", "’")

    @property
    def contextual(self) -> bool:
        """Tell whether the sentence leans on its neighbours (前款, 本条, 下列, 情节严重的…)."""
        return self.continuation or bool(_CONTEXTUAL.search(self.text)) or self.text.startswith(("但", "也"))

    @property
    def statement(self) -> bool:
        """Tell whether the sentence stands alone as a statement of the law."""
        standalone = not self.item or bool(_DEFINITION.search(self.text))
        return standalone and not self.lead_in and not self.contextual and 6 <= len(self.text) <= SENTENCE_MAX


def split_sentences(article: Article) -> list[Sentence]:
    """Split an article into sentences on 。 and into pieces on ；, items stripped of their （一） marker."""
    sentences: list[Sentence] = []
    for paragraph in article.paragraphs:
        body = ITEM_RE.sub("", paragraph.strip()).strip()
        item = body != paragraph.strip()
        for whole in _SENTENCE.findall(body):
            pieces = [p.strip() for p in _PIECE.findall(whole) if plain(p)]
            if len(pieces) > 1:
                sentences.append(_sentence(whole, item))
            for n, piece in enumerate(pieces):
                sentences.append(_sentence(piece, item, continuation=n > 0 and bool(_CONTINUATION.match(piece))))
    return [s for s in sentences if plain(s.text)]


def _sentence(text: str, item: bool, continuation: bool = False) -> Sentence:
    text = text.strip()
    if text.endswith(_LEAD_IN):
        return Sentence(text, item, lead_in=True)
    return Sentence(text.rstrip("。；;") + "。", item, continuation=continuation)


# --- numbers --------------------------------------------------------------------------

_CN = "零〇一二三四五六七八九十百千万亿两"
_NUM = rf"[{_CN}]+|[0-9]+"
_UNITS = (
    "个工作日", "工作日", "个小时", "小时", "个月", "周岁", "公里", "千米", "平方米", "分钟",
    "日", "天", "年", "岁", "米", "元", "倍", "人", "名", "次",
)  # fmt: skip
_COUNT_UNITS = {"人", "名", "次"}  # 一人, 一次 are mostly "a person", "once": no real number
_QUANTITY = re.compile(rf"(?<![第之{_CN}0-9同统唯单])(?P<num>{_NUM})(?P<unit>{'|'.join(_UNITS)})(?!性)")
_PERCENT = re.compile(rf"百分之(?P<num>{_NUM})")
_FRACTION = re.compile(r"(?<![百千万])(?P<den>[二三四五六七八九十]+)分之(?P<num>[一二三四五六七八九十]+)")
_DATE = re.compile(
    rf"(?<![{_CN}0-9])(?P<m>[一二三四五六七八九十]{{1,2}}|[0-9]{{1,2}})月(?P<d>[{_CN}]{{1,3}}|[0-9]{{1,2}})日"
)
_YEAR = re.compile(rf"(?:[0-9]{{4}}|[〇零一二三四五六七八九]{{4}})年(?:(?:{_NUM})月(?:(?:{_NUM})日)?)?")
_RANGE = re.compile(r"以上|至|到|以上不满|—|-|～|~")
PERCENT, FRACTION, DATE = "%", "/", "月日"
_COMMON = {
    "日": (1, 3, 5, 7, 10, 15, 20, 30, 45, 60, 90, 180),
    "天": (1, 3, 5, 7, 10, 15, 20, 30, 60, 90),
    "工作日": (3, 5, 7, 10, 15, 20, 30),
    "个工作日": (3, 5, 7, 10, 15, 20, 30),
    "年": (1, 2, 3, 5, 7, 10, 15, 20, 30),
    "个月": (1, 2, 3, 6, 9, 12, 18, 24),
    "周岁": (6, 8, 10, 12, 14, 16, 18, 22),
    "岁": (6, 8, 10, 12, 14, 16, 18, 22),
    "小时": (2, 4, 6, 8, 12, 24, 48, 72),
    "个小时": (2, 4, 6, 8, 12, 24, 48, 72),
    PERCENT: (1, 2, 3, 5, 10, 15, 20, 25, 30, 50),
    "倍": (1, 2, 3, 5, 10),
}
_FRACTIONS = ((2, 1), (3, 1), (3, 2), (4, 1), (4, 3), (5, 1), (5, 2), (10, 1))


@dataclass(frozen=True)
class Quantity:
    """A number with its unit in a sentence: 十五公里, 百分之五, 三分之二, 九月十日."""

    start: int
    end: int
    text: str
    unit: str
    value: tuple[int, ...]
    arabic: bool = False

    def render(self, value: tuple[int, ...]) -> str:
        """Write another value of the same unit in this quantity's style."""
        number = str if self.arabic else int_to_cn
        if self.unit == PERCENT:
            return f"百分之{number(value[0])}"
        if self.unit == FRACTION:
            return f"{int_to_cn(value[0])}分之{int_to_cn(value[1])}"
        if self.unit == DATE:
            return f"{number(value[0])}月{number(value[1])}日"
        return f"{number(value[0])}{self.unit}"


def _number(text: str) -> int | None:
    try:
        value = cn_to_int(text)
    except (ValueError, KeyError, IndexError, TypeError):
        return None
    return value if value > 0 else None


def find_quantities(text: str) -> list[Quantity]:
    """Find the numbers with units in a sentence, leaving out years, article numbers and 一人-style words."""
    found: list[Quantity] = []
    taken = [(m.start(), m.end()) for m in _YEAR.finditer(text)]

    def free(match: re.Match) -> bool:
        return not any(s < match.end() and match.start() < e for s, e in taken)

    for match in _DATE.finditer(text):
        month, day = _number(match.group("m")), _number(match.group("d"))
        if free(match) and month and day and month <= 12 and day <= 31:
            arabic = match.group("m").isdigit()
            found.append(Quantity(match.start(), match.end(), match.group(), DATE, (month, day), arabic))
            taken.append((match.start(), match.end()))
    for match in _PERCENT.finditer(text):
        value = _number(match.group("num"))
        if free(match) and value and value <= 100:
            arabic = match.group("num").isdigit()
            found.append(Quantity(match.start(), match.end(), match.group(), PERCENT, (value,), arabic))
            taken.append((match.start(), match.end()))
    for match in _FRACTION.finditer(text):
        den, num = _number(match.group("den")), _number(match.group("num"))
        if free(match) and den and num and num < den:
            found.append(Quantity(match.start(), match.end(), match.group(), FRACTION, (den, num)))
            taken.append((match.start(), match.end()))
    for match in _QUANTITY.finditer(text):
        value, unit = _number(match.group("num")), match.group("unit")
        if not free(match) or not value or (value == 1 and unit in _COUNT_UNITS):
            continue
        arabic = match.group("num").isdigit()
        found.append(Quantity(match.start(), match.end(), match.group(), unit, (value,), arabic))
    return sorted(found, key=lambda q: q.start)


def _closeness(value: tuple[int, ...], other: tuple[int, ...]) -> float:
    if len(value) == 1:
        return abs(math.log(other[0] / value[0]))
    return sum(abs(a - b) for a, b in zip(value, other, strict=True))


def perturbations(quantity: Quantity) -> list[tuple[int, ...]]:
    """Return plausible other values of the same unit: the usual ones of the unit first, nearest first."""
    if quantity.unit == FRACTION:
        usual, other = set(_FRACTIONS), set()
    elif quantity.unit == DATE:
        month, day = quantity.value
        usual = {(month, d) for d in (1, day - 1, day + 1, 15) if 1 <= d <= 30}
        other = {(m, day) for m in (month - 1, month + 1, month + 3) if 1 <= m <= 12}
    else:
        v = quantity.value[0]
        usual = {(x,) for x in _COMMON.get(quantity.unit, ())}
        values = {v * 2, v * 3, v * 5, v * 10} | {v // d for d in (2, 5, 10) if v % d == 0}
        values |= {v + 1, v - 1} if v < 10 else set()
        other = {(x,) for x in values if x > 0 and (quantity.unit != PERCENT or x <= 100)}
    ordered = sorted(usual, key=lambda c: (_closeness(quantity.value, c), c))
    ordered += sorted(other - usual, key=lambda c: (_closeness(quantity.value, c), c))
    return [c for c in ordered if c != quantity.value]


def bounds(quantity: Quantity, sentence: str) -> tuple[int, int]:
    """Return the values a distractor must lie between: 一万元以上（　　）以下 asks for more than 一万元."""
    low, high = 0, 10**12
    if len(quantity.value) != 1:
        return low, high
    for other in find_quantities(sentence):
        if other.unit != quantity.unit or other == quantity:
            continue
        if other.end <= quantity.start and _RANGE.fullmatch(sentence[other.end : quantity.start]):
            low = max(low, other.value[0])
        if quantity.end <= other.start and _RANGE.fullmatch(sentence[quantity.end : other.start]):
            high = min(high, other.value[0])
    return low, high


# --- bodies (主体) ---------------------------------------------------------------------

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
)
_GENERIC_BODIES = {"个人", "他人", "本人", "私人", "行为人", "当事人", "第三人", "机关", "机构", "组织", "单位"}
_BODY_BEFORE = r"(?:^|(?<=[，。；：:由向经报])|(?<=[^区]、)|(?<=会同))"
# What may follow a body that acts: punctuation, a conjunction or the first character of a verb;
# 学校安全, 学校负责人 or 国务院有关部门 go on naming something else.
_BODY_AFTER = (
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


def mine_bodies(text: str) -> set[str]:
    """Find the bodies that act as subjects (…应当, …负责) in an article's text."""
    bodies: set[str] = set()
    for line in text.split("\n"):
        for match in _SUBJECT.finditer(ITEM_RE.sub("", line)):
            for part in _BODY_PARTS.split(match.group("s")):
                if 2 <= len(part) <= 16 and part.endswith(_BODY_END) and not _NOT_IN_BODY.search(part):
                    bodies.add(part)
    return bodies - _GENERIC_BODIES


@dataclass(frozen=True)
class Span:
    """A stretch of a sentence a question can blank out or change: a body or a modal clause's object."""

    start: int
    end: int
    text: str
    tag: str = ""  # the modal (应当/不得/可以) of an object, empty for a body
    subject: str = ""


# --- modal clauses --------------------------------------------------------------------

_MODAL = re.compile(r"(?<![相不])(?P<modal>应当|不得|可以)(?!事人)")
_OBJECT = re.compile(r"(?P<modal>应当|不得|可以)(?P<obj>[^，。；;：:\n“”《》]{4,30})(?=[，。；;])")
_NOT_OBJECT_END = ("的", "外", "时", "后", "前", "者")
FLIPS = {"应当": ("可以", "不得"), "不得": ("可以",), "可以": ("不得", "应当")}


def _clause_start(text: str, position: int) -> int:
    cut = max(text.rfind(mark, 0, position) for mark in "，。；;：:")
    return cut + 1


def _conditional(text: str, end: int) -> bool:
    # "…应当给予处罚的，" is a condition, not a rule: changing it does not change what the rule says.
    clause_end = min([i for i in (text.find(m, end) for m in "，。；;") if i >= 0] or [len(text)])
    return text[clause_end - 1 : clause_end] == "的"


def find_modals(text: str) -> list[Span]:
    """Find 应当/不得/可以 where they state the rule (not in a …的， condition)."""
    spans = []
    for match in _MODAL.finditer(text):
        if match.group("modal") == "应当" and text[match.end() : match.end() + 2] in ("事人", "知道"):
            continue  # 应当事人的申请 is 应+当事人; 知道或者应当知道 is knowledge, not a duty
        if not _conditional(text, match.end()):
            subject = text[_clause_start(text, match.start()) : match.start()]
            spans.append(Span(match.start(), match.end(), match.group(), match.group(), subject))
    return spans


def find_objects(text: str) -> list[Span]:
    """Find what 应当/不得/可以 clauses require, forbid or allow: the words after the modal."""
    spans = []
    for modal in find_modals(text):
        match = _OBJECT.match(text, modal.start)
        # 除依法应当予以销毁的物品外: a modal inside a noun phrase or an exception has no object to ask for.
        if match and not match.group("obj").endswith(_NOT_OBJECT_END) and not modal.subject.startswith("除"):
            spans.append(Span(match.start("obj"), match.end("obj"), match.group("obj"), modal.tag, modal.subject))
    return spans


# --- the law's pools of distractors ---------------------------------------------------


@dataclass
class LawPool:
    """What one law offers as distractors, gathered once for all of its articles."""

    title: str
    articles: list[Article]
    quantities: dict[str, dict[tuple[int, ...], set[ArticleNo]]] = field(default_factory=dict)
    bodies: dict[str, set[ArticleNo]] = field(default_factory=dict)
    objects: dict[str, list[tuple[Span, ArticleNo]]] = field(default_factory=dict)
    plain_texts: dict[ArticleNo, str] = field(default_factory=dict)
    body_pattern: re.Pattern | None = None

    @classmethod
    def build(cls, law_articles: list[Article]) -> LawPool:
        """Gather the numbers, bodies and modal clauses of every article of a law."""
        pool = cls(law_articles[0].law_title if law_articles else "", list(law_articles))
        for article in law_articles:
            pool.plain_texts[article.number] = plain(article.text)
            for body in mine_bodies(article.text):
                pool.bodies.setdefault(body, set()).add(article.number)
            for sentence in split_sentences(article):
                for quantity in find_quantities(sentence.text):
                    pool.quantities.setdefault(quantity.unit, {}).setdefault(quantity.value, set()).add(article.number)
                for span in find_objects(sentence.text):
                    pool.objects.setdefault(span.tag, []).append((span, article.number))
        # A name met in one article only is more likely a misread clause than a body of the law.
        pool.bodies = {
            b: where for b, where in pool.bodies.items() if sum(plain(b) in t for t in pool.plain_texts.values()) > 1
        }
        if pool.bodies:
            names = "|".join(re.escape(b) for b in sorted(pool.bodies, key=lambda b: (-len(b), b)))
            pool.body_pattern = re.compile(rf"{_BODY_BEFORE}(?:{names}){_BODY_AFTER}")
        return pool

    def find_bodies(self, text: str) -> list[Span]:
        """Find the law's bodies where they act in a sentence (subject, 由…, 报…)."""
        if self.body_pattern is None:
            return []
        return [Span(m.start(), m.end(), m.group()) for m in self.body_pattern.finditer(text)]

    def unique_to(self, article: Article, quote: str) -> bool:
        """Tell whether a quote occurs in this article and in no other article of the law."""
        needle = plain(quote)
        return all(needle not in text for number, text in self.plain_texts.items() if number != article.number)

    def number_distractors(self, quantity: Quantity, sentence: str, article: Article, rng: random.Random):
        """Pick other values of the quantity's unit: the law's own first, then perturbations."""
        low, high = bounds(quantity, sentence)

        def fits(value: tuple[int, ...]) -> bool:
            return value != quantity.value and (len(value) != 1 or low < value[0] < high)

        seen = self.quantities.get(quantity.unit, {})
        own = [v for v, where in seen.items() if fits(v) and where - {article.number}]
        own = sorted(own, key=lambda v: (_closeness(quantity.value, v), v))[:6]
        picked = rng.sample(own, min(len(own), CHOICES - 1))
        for value in perturbations(quantity):
            if len(picked) >= CHOICES - 1:
                break
            if fits(value) and value not in picked:
                picked.append(value)
        return picked

    def body_distractors(self, body: str, article: Article, rng: random.Random) -> list[str]:
        """Pick other bodies of the law that the article does not name, alike in kind when possible."""
        text = plain(article.text)
        candidates = sorted(
            b
            for b, where in self.bodies.items()
            if where - {article.number} and b not in text and distinct_bodies(body, b)
        )
        alike = [b for b in candidates if b[-2:] == body[-2:]]
        other_tiers = [b for b in other_tiers_of(body) if plain(b) not in text and distinct_bodies(body, b)]
        return _pick([alike, other_tiers, candidates], rng, apart=distinct_bodies)

    def object_distractors(self, span: Span, article: Article, rng: random.Random) -> list[str]:
        """Pick what other clauses of the law require/forbid/allow, of a length like this one's."""
        text, answer = plain(article.text), plain(span.text)
        candidates: dict[str, int] = {}
        for other, number in self.objects.get(span.tag, []):
            words = plain(other.text)
            if (
                number == article.number
                or words in text
                or _overlap(words, answer)
                or (span.subject and other.subject == span.subject)
                or not 0.6 <= len(other.text) / len(span.text) <= 1.6
            ):
                continue
            candidates.setdefault(other.text, abs(len(other.text) - len(span.text)))
        nearest = sorted(candidates, key=lambda t: (candidates[t], t))[:8]
        return _pick([nearest], rng)


def _overlap(one: str, other: str, size: int = 4) -> bool:
    """Tell whether two wordings share a run of size characters: 承担违约责任 and 依法承担违约责任 do."""
    if len(one) < size or len(other) < size:
        return one in other or other in one
    grams = {one[i : i + size] for i in range(len(one) - size + 1)}
    return any(other[i : i + size] in grams for i in range(len(other) - size + 1))


def _pick(groups: list[list[str]], rng: random.Random, apart: Callable[[str, str], bool] | None = None) -> list[str]:
    """Sample distractors group by group, the first groups preferred; distinct from each other."""
    picked: list[str] = []
    for group in groups:
        for choice in rng.sample(group, len(group)):
            if len(picked) >= CHOICES - 1:
                return picked
            if all(
                normalize_option(choice) != normalize_option(p) and (apart is None or apart(choice, p)) for p in picked
            ):
                picked.append(choice)
    return picked


# --- building questions ----------------------------------------------------------------


@dataclass
class _Context:
    article: Article
    pool: LawPool
    rng: random.Random
    other_titles: list[str]
    other_texts: Mapping[str, str]
    sentences: list[Sentence]

    @property
    def law(self) -> str:
        return short_title(self.article.law_title)

    def explanation(self, quote: str) -> str:
        citation = M.ARTICLE_CITATION.format(title=self.law, label=self.article.label)
        return clip(M.QUIZ_EXPLANATION.format(citation=citation, quote=quote), EXPLANATION_MAX)

    def question(self, kind: str, stem: str, options: list[str], answer: int, quote: str, generator: str):
        return QuizQuestion(
            kind=kind,
            stem=stem,
            options=options,
            answer=[answer],
            explanation=self.explanation(quote),
            citation=self.article.citation,
            article_id=self.article.id,
            generator=generator,
        )

    def shuffled(self, items: Iterable) -> list:
        items = list(items)
        return self.rng.sample(items, len(items))

    def statements(self) -> list[Sentence]:
        return self.shuffled(s for s in self.sentences if s.statement)


def _cloze(ctx: _Context, sentence: Sentence, span: Span | Quantity, options: list[str], generator: str):
    if len(options) < CHOICES or any(len(o) > OPTION_MAX for o in options):
        return None
    blanked = sentence.text[: span.start] + BLANK + sentence.text[span.end :]
    stem = M.QUIZ_CLOZE_STEM.format(law=ctx.law, sentence=blanked)
    return ctx.question("single", stem, options, options.index(span.text), sentence.text, generator)


def cloze_number(ctx: _Context) -> Iterator[QuizQuestion | None]:
    """Blank out a number with its unit; the options are other values of the same unit."""
    for sentence in ctx.statements():
        for quantity in ctx.shuffled(find_quantities(sentence.text)):
            values = ctx.pool.number_distractors(quantity, sentence.text, ctx.article, ctx.rng)
            by_value = {quantity.value: quantity.text, **{v: quantity.render(v) for v in values}}
            options = [by_value[v] for v in sorted(by_value)]
            yield _cloze(ctx, sentence, quantity, options, "cloze_number")


def cloze_body(ctx: _Context) -> Iterator[QuizQuestion | None]:
    """Blank out the body that acts; the options are other bodies of the same law."""
    for sentence in ctx.statements():
        for span in ctx.shuffled(ctx.pool.find_bodies(sentence.text)):
            options = ctx.shuffled([span.text, *ctx.pool.body_distractors(span.text, ctx.article, ctx.rng)])
            yield _cloze(ctx, sentence, span, options, "cloze_body")


def cloze_term(ctx: _Context) -> Iterator[QuizQuestion | None]:
    """Blank out what an 应当/不得/可以 clause requires; the options are other such clauses of the law."""
    for sentence in ctx.statements():
        for span in ctx.shuffled(find_objects(sentence.text)):
            options = ctx.shuffled([span.text, *ctx.pool.object_distractors(span, ctx.article, ctx.rng)])
            yield _cloze(ctx, sentence, span, options, "cloze_term")


def _truefalse(ctx: _Context, sentence: Sentence, start: int, end: int, replacement: str, generator: str):
    faithful = ctx.rng.random() < 0.5
    statement = sentence.text if faithful else sentence.text[:start] + replacement + sentence.text[end:]
    stem = M.QUIZ_TRUEFALSE_STEM.format(law=ctx.law, statement=statement)
    return ctx.question("truefalse", stem, list(TRUEFALSE_OPTIONS), 0 if faithful else 1, sentence.text, generator)


def truefalse_modal(ctx: _Context) -> Iterator[QuizQuestion | None]:
    """State a sentence as written or with its 应当/不得/可以 flipped."""
    for sentence in ctx.statements():
        for span in ctx.shuffled(find_modals(sentence.text)):
            flip = ctx.rng.choice(FLIPS[span.tag])
            yield _truefalse(ctx, sentence, span.start, span.end, flip, "truefalse_modal")


def truefalse_number(ctx: _Context) -> Iterator[QuizQuestion | None]:
    """State a sentence as written or with one number changed."""
    for sentence in ctx.statements():
        for quantity in ctx.shuffled(find_quantities(sentence.text)):
            values = ctx.pool.number_distractors(quantity, sentence.text, ctx.article, ctx.rng)
            if values:
                changed = quantity.render(ctx.rng.choice(values))
                yield _truefalse(ctx, sentence, quantity.start, quantity.end, changed, "truefalse_number")


def truefalse_subject(ctx: _Context) -> Iterator[QuizQuestion | None]:
    """State a sentence as written or with its acting body swapped for another of the law."""
    for sentence in ctx.statements():
        for span in ctx.shuffled(ctx.pool.find_bodies(sentence.text)):
            others = ctx.pool.body_distractors(span.text, ctx.article, ctx.rng)
            if others:
                yield _truefalse(ctx, sentence, span.start, span.end, others[0], "truefalse_subject")


# Wording many laws share: quoting it cannot tell one law from another.
_BOILERPLATE_QUOTE = re.compile(
    r"违反本(?:法|条例)|依法追究|依法给予|有关规定执行|另有规定|治安管理处罚|刑事责任|本(?:法|条例)所称"
)


def _quotes(ctx: _Context) -> list[Sentence]:
    fit = [s for s in ctx.sentences if not s.lead_in and not s.contextual and QUOTE_MIN <= len(s.quote) <= QUOTE_MAX]
    return ctx.shuffled(fit)


def which_law(ctx: _Context) -> Iterator[QuizQuestion | None]:
    """Quote a sentence and ask which law it comes from."""
    law = ctx.law
    others = sorted({short_title(t): t for t in ctx.other_titles if short_title(t) != law}.items())
    if len(others) < CHOICES - 1:
        return
    for sentence in _quotes(ctx):
        if law in sentence.text or "《" in sentence.text or _BOILERPLATE_QUOTE.search(sentence.text):
            continue
        needle = plain(sentence.quote)
        # A sentence another law also says would make two options right.
        fit = (short for short, title in ctx.shuffled(others) if needle not in ctx.other_texts.get(title, ""))
        distractors = list(itertools.islice(fit, CHOICES - 1))
        if len(distractors) < CHOICES - 1:
            continue
        options = ctx.shuffled([law, *distractors])
        stem = M.QUIZ_WHICH_LAW_STEM.format(quote=sentence.inner_quote)
        yield ctx.question("single", stem, options, options.index(law), sentence.text, "which_law")


def which_article(ctx: _Context) -> Iterator[QuizQuestion | None]:
    """Quote a sentence found only in this article and ask which article of the law it is."""
    numbers = [a.number for a in ctx.pool.articles]
    if ctx.article.number not in numbers or len(numbers) < CHOICES:
        return
    at = numbers.index(ctx.article.number)
    low = max(0, min(at - CHOICES + 1, len(numbers) - 2 * CHOICES + 1))
    near = [n for n in numbers[low : low + 2 * CHOICES - 1] if n != ctx.article.number]
    for sentence in _quotes(ctx):
        if not ctx.pool.unique_to(ctx.article, sentence.quote):
            continue
        picked = sorted([ctx.article.number, *ctx.rng.sample(near, CHOICES - 1)])
        options = [n.label for n in picked]
        stem = M.QUIZ_WHICH_ARTICLE_STEM.format(quote=sentence.inner_quote, law=ctx.law)
        yield ctx.question("single", stem, options, picked.index(ctx.article.number), sentence.text, "which_article")


Maker = Callable[[_Context], Iterator[QuizQuestion | None]]
GENERATORS: tuple[tuple[str, str, Maker], ...] = (
    ("cloze_number", "single", cloze_number),
    ("cloze_body", "single", cloze_body),
    ("cloze_term", "single", cloze_term),
    ("truefalse_modal", "truefalse", truefalse_modal),
    ("truefalse_number", "truefalse", truefalse_number),
    ("truefalse_subject", "truefalse", truefalse_subject),
    ("which_law", "single", which_law),
    ("which_article", "single", which_article),
)
GENERATOR_NAMES = tuple(name for name, _, _ in GENERATORS)


def _wanted(name: str, kind: str, kinds: Iterable[str] | None) -> bool:
    if kinds is None:
        return True
    wanted = set(kinds)
    return name in wanted or kind in wanted or name.split("_")[0] in wanted


def _first_valid(candidates: Iterator[QuizQuestion | None], article: Article) -> QuizQuestion | None:
    for tries, question in enumerate(candidates):
        if tries >= TRIES:
            return None
        if question is not None and not validate(question, article):
            return question
    return None


def law_texts(articles: Iterable[Article]) -> dict[str, str]:
    """Return each law's text as which_law compares it (punctuation dropped), by title."""
    texts: dict[str, list[str]] = {}
    for article in articles:
        texts.setdefault(article.law_title, []).append(plain(article.text))
    return {title: "\x00".join(parts) for title, parts in texts.items()}


def generate(
    article: Article,
    law_articles: list[Article],
    rng: random.Random,
    kinds: Iterable[str] | None = None,
    *,
    other_titles: Iterable[str] | None = None,
    other_texts: Mapping[str, str] | None = None,
    pool: LawPool | None = None,
) -> list[QuizQuestion]:
    """Generate every valid question the article offers, at most one per generator.

    kinds picks generators by name (cloze_number), family (cloze, truefalse, which) or
    question kind (single, truefalse). other_titles are the laws which_law may offer as
    distractors; other_texts (law_texts() of those laws) keeps it from offering a law that
    says the quoted sentence too. pool is LawPool.build(law_articles), passed in when
    generating for many articles of one law so the law is read once.
    """
    if is_boilerplate(article):
        return []
    ctx = _Context(
        article=article,
        pool=pool or LawPool.build(law_articles),
        rng=rng,
        other_titles=list(other_titles or []),
        other_texts=other_texts or {},
        sentences=split_sentences(article),
    )
    kinds = list(kinds) if kinds is not None else None
    questions: list[QuizQuestion] = []
    seen: set[str] = set()
    for name, kind, make in GENERATORS:
        if not _wanted(name, kind, kinds):
            continue
        question = _first_valid(make(ctx), article)
        if question is not None and question.content_hash not in seen:
            seen.add(question.content_hash)
            questions.append(question)
    return questions


def generate_for(
    articles: list[Article],
    rng: random.Random,
    per_article: int = 1,
    kinds: Iterable[str] | None = None,
    other_titles: Iterable[str] | None = None,
) -> list[QuizQuestion]:
    """Generate up to per_article questions for each article, distractors drawn from the articles given."""
    by_law: dict[str, list[Article]] = {}
    for article in articles:
        by_law.setdefault(article.law_title, []).append(article)
    pools = {title: LawPool.build(items) for title, items in by_law.items()}
    titles = sorted(set(other_titles or []) | set(by_law))
    texts = law_texts(articles)
    questions: list[QuizQuestion] = []
    for article in articles:
        offered = generate(
            article,
            by_law[article.law_title],
            rng,
            kinds,
            other_titles=titles,
            other_texts=texts,
            pool=pools[article.law_title],
        )
        questions += rng.sample(offered, min(per_article, len(offered)))
    return questions
