"""Modal clauses: where 应当/不得/可以 state a rule, and what the rule requires, forbids or allows."""

from __future__ import annotations

import re

from knowledge.quizgen.sentences import Span

_MODAL = re.compile(r"(?<![相不])(?P<modal>应当|不得|可以)(?!事人)")
_OBJECT = re.compile(r"(?P<modal>应当|不得|可以)(?P<obj>[^，。；;：:\n“”《》]{4,30})(?=[，。；;])")
_NOT_OBJECT_END = ("的", "外", "时", "后", "前", "者")
# 应当根据工作需要，…; 应当自收到申请之日起二十日内，…: what follows the modal up to the comma is the
# frame of the rule, not the rule. Blanked it asks nothing worth knowing, and offered beside real
# duties (予以登记, 承担赔偿责任) it is the odd one out at a glance.
_FRAME = re.compile(
    r"^(?:根据|按照|依照|依据|遵照|参照|自|在|于|对|向|与|经|由|以|为|通过|结合|围绕|从|同|按)"
    r".*(?:规定|需要|情况|要求|原则|标准|范围|程序|权限|特点|实际|笔录|协议|方式|内|中|下|起|期间)$"
)
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


def is_frame(words: str) -> bool:
    """Tell whether the words after a modal only frame the rule: 根据工作需要, 按照国家有关规定."""
    return bool(_FRAME.match(words))


def find_objects(text: str) -> list[Span]:
    """Find what 应当/不得/可以 clauses require, forbid or allow: the words after the modal."""
    spans = []
    for modal in find_modals(text):
        match = _OBJECT.match(text, modal.start)
        # 除依法应当予以销毁的物品外: a modal inside a noun phrase or an exception has no object to ask for.
        if not match or modal.subject.startswith("除"):
            continue
        if not match.group("obj").endswith(_NOT_OBJECT_END) and not is_frame(match.group("obj")):
            spans.append(Span(match.start("obj"), match.end("obj"), match.group("obj"), modal.tag, modal.subject))
    return spans
