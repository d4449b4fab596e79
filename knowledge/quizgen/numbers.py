"""Numbers with their units in a sentence, and plausible other values for distractors."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from knowledge.numerals import cn_to_int, int_to_cn

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


def value_distance(value: tuple[int, ...], other: tuple[int, ...]) -> float:
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
    ordered = sorted(usual, key=lambda c: (value_distance(quantity.value, c), c))
    ordered += sorted(other - usual, key=lambda c: (value_distance(quantity.value, c), c))
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
