"""Rule articles before penalty articles, learnt from a law's structure, not from a list of questions.

A penalty article repeats its rule's words (统计法第四十四条 lists what 第七条 forbids, 学前教育法第
七十九条 what 第十五条 requires), so it often outscores the rule for a question that asks what is
allowed. An article is a penalty article when it sits in a 法律责任 chapter or says 违反本法第X条; for a
question that does not ask about consequences such an article gives way: its fused score is lowered by
PENALTY_SHIFT, and the rule it cites (违反本法第十五条) is brought in just before it.
"""

from __future__ import annotations

import re

from knowledge.models import Article
from knowledge.numerals import CN_DIGITS, ArticleNo, cn_to_int

PENALTY_SHIFT = 0.15  # fused scores run 0..1.4 (1.0·dense + 0.4·BM25, each min-max normalised)
_CITED_RULE = re.compile(rf"违反本(?:法|条例)第([{CN_DIGITS}]+)条(?:之([{CN_DIGITS}]+))?")
# A question about consequences wants the penalty article: 怎么处理, 会被开除吗, 判几年, 法律责任.
ASKS_CONSEQUENCE = re.compile(
    r"处罚|处理|处分|后果|责任|罚|判|追究|开除|辞退|解聘|吊销|拘留|坐牢|犯罪|会怎样|会怎么样|会不会被|被查|"
    r"怎么办|怎么做|如何应对|能做什么|可以做什么"
)


def is_penalty(article: Article) -> bool:
    """Tell whether an article states consequences: in a 法律责任 chapter, or citing 违反本法第X条."""
    return any("法律责任" in part for part in article.path) or bool(_CITED_RULE.search(article.text))


def cited_rules(article: Article) -> list[ArticleNo]:
    """Return the articles of its own law a penalty article cites (违反本法第十五条 -> 第十五条)."""
    found = []
    for match in _CITED_RULE.finditer(article.text):
        number = ArticleNo(cn_to_int(match.group(1)), cn_to_int(match.group(2)) if match.group(2) else 0)
        if number not in found:
            found.append(number)
    return found


def asks_consequence(question: str) -> bool:
    """Tell whether a question asks what happens to someone (the penalty), not what is allowed."""
    return bool(ASKS_CONSEQUENCE.search(question))


def rules_first(hits: list, articles: dict, repository, indexed: frozenset[str] | set[str] = frozenset()) -> list:
    """Reorder a non-consequence question's hits so rules come before the penalty articles that repeat them.

    ``articles`` maps ids to the hits' articles and receives any cited rule brought in.
    """
    from dataclasses import replace

    adjusted = []
    pulled = 0
    seen = {hit.article_id for hit in hits}
    for rank, hit in enumerate(hits):
        article = articles[hit.article_id]
        if not is_penalty(article):
            adjusted.append(hit)
            continue
        if rank < 3 and pulled < 2:
            for number in cited_rules(article)[:1]:
                rule = repository.article(article.law_title, number)
                if rule is None or rule.id in seen or is_penalty(rule):
                    continue
                articles[rule.id] = rule
                seen.add(rule.id)
                pulled += 1
                adjusted.append(replace(hit, article_id=rule.id, dense=None, keyword=None))
        adjusted.append(replace(hit, score=hit.score - PENALTY_SHIFT))
    return sorted(adjusted, key=lambda h: -h.score)
