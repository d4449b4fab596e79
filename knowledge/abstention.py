"""Whether the articles found answer a question: evidence turned into a calibrated probability.

One raw cosine cannot tell "no loaded law covers this" from "a law covers this in other words".
The decision combines what can be computed for every question: the best cosine and its margin to
the next article, the fused margin, how much of the question's wording and of its legal terms
(after the colloquial -> legal expansion) the top articles contain, whether the question asks for
an amount, a rate, an age, a duration or a count that no top article states, and whether it is
about a domain (medicine, tax, social insurance, housing funds, local schedules) that the top
articles do not touch. A logistic model, fitted by ``bench/calibrate.py`` on generated data,
turns these into the probability that the question is answered; below the operating point the
reply is "unsure". Two of the signals are also rules (Evidence.rules_out): an asked-for quantity no
top article states, or an out-of-scope domain, makes the reply "unsure" whatever the probability.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

_NUM = r"[0-9]+|[零〇一二三四五六七八九十百千万两半]+"

# What a question asks for, and how an article states it.
QUANTITY_ASKS = {
    "money": r"多少钱|多少元|几块钱|几块|多少万|金额|收多少|交多少|罚多少|赔多少|补助多少|补贴多少|发多少|贷多少|能贷|多少费|费用多少|什么价|多少合适",
    "rate": r"比例|百分之几|百分比|税率|费率|利率|几成|多少个点|上线率",
    "age": r"多少岁|几岁|多大年龄|年龄上限|年龄限制|多大才|满多少",
    "duration": r"多少天|几天|几日|多少日|多久|多长时间|多长|几个月|多少个月|几年|多少年|几小时|几个小时|多少小时|多少个小时|"
    r"几个钟头|多少分钟|几分钟|几周|几个星期|多少周|几个工作日|多少个工作日|哪天|什么时候|何时|几号|期限是多少|时效是多长|"
    r"每周几次|一周几次|每周至少|至少每周|每天至少|至少每天|每年至少|至少每年",
    "count": r"几次|多少次|多少人|几个人|多少个|几节|多少节|几门|多少门|几篇|多少篇|几级|多少级|多少分|几分|几名|多少名|几针|多少学时|几项|多少项",
}
QUANTITY_STATED = {
    "money": rf"(?:{_NUM})\s*(?:元|万元|倍)|价款",
    "rate": rf"百分之|(?:{_NUM})\s*%|比例|(?:{_NUM})\s*成",
    "age": r"周岁|(?:{n})\s*岁".format(n=_NUM),
    "duration": rf"(?:{_NUM})\s*(?:日|天|个月|年|小时|分钟|周|个工作日|学时|课时)|[0-9一二三四五六七八九十]+月[0-9一二三四五六七八九十]+日|"
    r"每(?:个)?(?:学年|学期|年|季度|月|周|星期|天|日)|(?:至少|不少于|不得少于)[^，。；]{0,6}(?:次|小时|课时)",
    "count": rf"(?:{_NUM})\s*(?:人|次|名|个|节|门|篇|级|项|分|针|学时)|(?:{_NUM})\s*分之",
}
_ASKS = {kind: re.compile(pattern) for kind, pattern in QUANTITY_ASKS.items()}
_STATED = {kind: re.compile(pattern) for kind, pattern in QUANTITY_STATED.items()}

# Domains no education-law study list governs; a question about one is out of scope unless the
# top articles themselves speak of it (未成年人保护法 does mention 疫苗).
OUT_OF_SCOPE = re.compile(
    "|".join(
        [
            # medical advice
            r"吃药|用药|吃什么药|药膏|布洛芬|退烧药|发烧|症状|怎么治|病情|疫苗|打针|近视|配眼镜|度数|手足口|水痘|流感|"
            r"抑郁症|处方|剂量|狂犬|隔离",
            # tax, social insurance, housing funds, finance
            r"个税|所得税|增值税|税率|报税|纳税|专项附加|退税|社保|养老保险|医保|医疗保险|工伤|失业保险|生育保险|"
            r"公积金|年金|报销|房贷|首付|贷款|利率|买房|保费",
            # local, dated or procedural facts no statute holds
            r"分数线|录取线|报名时间|开学时间|放假时间|校历|哪个窗口|哪个平台|网上哪里|电话是多少|学信网|工资条|绩效工资|"
            r"课时量|考试大纲|考哪几门|考试科目|题型|论文|最新",
        ]
    )
)

_CJK = re.compile(r"[\u4e00-\u9fff]+")
_CONSEQUENCE = re.compile(r"判|刑|坐牢|拘留|关几天|处罚|罚|吊销|禁止|不得")
# Characters that carry no subject matter in a question: a bigram with one of them is not evidence.
_FUNCTION = set("的了吗呢吧啊呀嘛么是在有我你他她它们这那个什怎哪谁几多少能可以会要不没就还都也和与或把被给让对向从到吧得着过一些")


@dataclass
class Evidence:
    """The features of one question's retrieval, in a fixed order (see FEATURES)."""

    values: dict[str, float] = field(default_factory=dict)
    asks: list[str] = field(default_factory=list)  # quantities asked for and stated by no top article
    out_of_scope: list[str] = field(default_factory=list)  # domain words no top article mentions

    def vector(self) -> list[float]:
        """Return the features in FEATURES order."""
        return [self.values[name] for name in FEATURES]

    @property
    def rules_out(self) -> bool:
        """Tell whether the question asks what no top article says: an amount, a rate, an age, a
        duration or a count none of them states, or a domain none of them touches. Such a question is
        never answered confidently, however close the articles are in topic."""
        return bool(self.asks or self.out_of_scope)


FEATURES = (
    "cos1",  # best raw cosine of any retrieved article
    "cos_margin",  # best minus second best cosine
    "fused_margin",  # fused score of the first minus the second article
    "cov1",  # share of the question's content bigrams found in the first article
    "cov3",  # ... found in any of the first three
    "term_cov",  # share of the question's legal terms (expansion + concepts) found in the first three
    "no_terms",  # 1 when the question has no legal terms at all
    "concept_miss",  # 1 when the question's situation names concepts and none is in the first three
    "quantity_missing",  # asks for an amount/rate/age/duration/count no top article states
    "quantity_stated",  # asks for one and a top article states one
    "out_of_scope",  # names a domain (medicine, tax, …) no top article mentions
)


def content_bigrams(text: str) -> set[str]:
    """Return the bigrams of a text that carry subject matter (no function characters)."""
    grams = set()
    for run in _CJK.findall(text):
        for a, b in zip(run, run[1:]):
            if a not in _FUNCTION and b not in _FUNCTION:
                grams.add(a + b)
    return grams


def asked_quantities(question: str) -> list[str]:
    """Return the kinds of quantity a question asks for: money, rate, age, duration, count."""
    return [kind for kind, pattern in _ASKS.items() if pattern.search(question)]


def evidence(
    question: str, hits: list, texts: list[str], terms: list[str], concepts: list[str] = (), penalties: list[bool] = ()
) -> Evidence:
    """Compute the features for a question from its hits (best first) and their articles' texts.

    ``terms`` are all its legal terms, ``concepts`` those of them its situation points to;
    ``penalties`` tells which articles are penalty articles: the years and days of a sentence or a
    ban (处三年以下有期徒刑) state no time limit a question asks for (没收后多久要还), unless the question
    asks about the consequence itself (会判多久).
    """
    cosines = sorted((h.dense for h in hits if h.dense is not None), reverse=True) or [0.0]
    fused = [h.score for h in hits] or [0.0]
    grams = content_bigrams(question)
    top1 = texts[0] if texts else ""
    top3 = "\n".join(texts[:3])
    found3 = {g for g in grams if g in top3}
    covered = [t for t in terms if t in top3]
    asks = asked_quantities(question)
    rules3 = top3
    if penalties and not _CONSEQUENCE.search(question):
        rules3 = "\n".join(t for t, penalty in zip(texts[:3], list(penalties)[:3]) if not penalty)
    missing = [kind for kind in asks if not _STATED[kind].search(rules3 if kind == "duration" else top3)]
    scope = [m.group(0) for m in OUT_OF_SCOPE.finditer(question) if m.group(0) not in top3]
    values = {
        "cos1": cosines[0],
        "cos_margin": cosines[0] - (cosines[1] if len(cosines) > 1 else cosines[0]),
        "fused_margin": fused[0] - (fused[1] if len(fused) > 1 else fused[0]),
        "cov1": sum(g in top1 for g in grams) / len(grams) if grams else 0.0,
        "cov3": len(found3) / len(grams) if grams else 0.0,
        "term_cov": len(covered) / len(terms) if terms else 0.0,
        "no_terms": 0.0 if terms else 1.0,
        "concept_miss": 1.0 if concepts and not any(c in top3 for c in concepts) else 0.0,
        "quantity_missing": 1.0 if missing else 0.0,
        "quantity_stated": 1.0 if asks and not missing else 0.0,
        "out_of_scope": 1.0 if scope else 0.0,
    }
    return Evidence(values, missing, scope)


@dataclass
class Calibration:
    """A logistic model over FEATURES and the probability below which xuefa says it is unsure."""

    weights: list[float]
    bias: float
    threshold: float

    def probability(self, found: Evidence) -> float:
        """Return the calibrated probability that the top articles answer the question."""
        z = self.bias + sum(w * x for w, x in zip(self.weights, found.vector()))
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
