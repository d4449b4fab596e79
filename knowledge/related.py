"""Articles related to an article: those it cites, then the nearest in meaning (beside answers.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from knowledge.answers import Retriever
from knowledge.citations import Citation, LawCatalog, find_citations, resolve
from knowledge.errors import CitationError
from knowledge.models import Article

if TYPE_CHECKING:
    from knowledge.store import Repository


def related_articles(
    article: Article, repository: Repository, catalog: LawCatalog, index: Retriever | None, limit: int = 5
) -> list[Article]:
    """Return the articles an article cites, then the nearest ones by meaning, never itself."""
    found: list[Article] = []
    for citation in find_citations(article.text):
        law = citation.law or article.law_title
        if law.startswith("本"):  # 本法第八条 means this law
            law = article.law_title
        try:
            target = resolve(Citation(law, citation.article), catalog, repository).article
        except CitationError:
            continue
        if target.id != article.id and all(target.id != a.id for a in found):
            found.append(target)
    if index is not None and len(found) < limit:
        for hit in index.similar(article.id, k=limit + 1):
            if hit.article_id != article.id and all(hit.article_id != a.id for a in found):
                found += repository.articles(ids=[hit.article_id])
    return found[:limit]
