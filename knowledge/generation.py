"""Optional generated answers from an OpenAI-compatible endpoint, grounded only in the retrieved articles."""

from __future__ import annotations

import logging

import httpx

from knowledge import messages as M
from knowledge.answers import Answer
from knowledge.citations import LawCatalog, find_citations
from knowledge.errors import CitationError
from knowledge.models import short_title

log = logging.getLogger(__name__)
MAX_TOKENS = 600


class Composer:
    """Asks a chat model for a short answer and strips every citation it was not given."""

    def __init__(self, base_url: str, api_key: str | None, model: str | None, timeout: float, catalog=None):
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.api_key = api_key
        self.model = model or "default"
        self.timeout = timeout
        self.catalog = catalog

    def compose(self, answer: Answer, catalog: LawCatalog | None = None) -> Answer:
        """Add a grounded summary to an answer; on any failure leave the extractive answer as it is."""
        try:
            text = self._complete(answer)
        except (httpx.HTTPError, KeyError, IndexError, TypeError, ValueError) as exc:
            log.warning("generation failed, answering extractively: %s", exc)
            return answer
        summary, removed = verify(text, answer, catalog or self.catalog)
        answer.summary = summary.strip() or None
        answer.removed_citations = removed
        return answer

    def _complete(self, answer: Answer) -> str:
        articles = "\n\n".join(
            f"【{i}】《{p.article.law_title}》{p.article.label}\n{p.article.text}" for i, p in enumerate(answer.passages, 1)
        )
        payload = {
            "model": self.model,
            "temperature": 0.1,
            "max_tokens": MAX_TOKENS,
            "messages": [
                {"role": "system", "content": M.LLM_SYSTEM},
                {"role": "user", "content": M.LLM_USER.format(question=answer.question, articles=articles)},
            ],
        }
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        response = httpx.post(self.url, json=payload, headers=headers, timeout=self.timeout)
        response.raise_for_status()
        return response.json()["choices"][0]["message"]["content"]


def verify(text: str, answer: Answer, catalog: LawCatalog | None) -> tuple[str, list[str]]:
    """Remove from generated text every citation that is not one of the answer's articles; list them."""
    allowed = {(p.article.law_title, p.article.number) for p in answer.passages}
    default_law = answer.passages[0].article.law_title if len(answer.passages) == 1 else None
    removed: list[str] = []
    kept = text
    for citation in sorted(find_citations(text), key=lambda c: -c.start):
        title = _title(citation.law, catalog) if citation.law else default_law
        if (title, citation.article) in allowed:
            continue
        shown = text[citation.start:citation.end]
        removed.append(shown if not title else f"《{short_title(title)}》{citation.article.label}")
        kept = kept[: citation.start] + M.LLM_REMOVED_MARK + kept[citation.end:]
    return kept, list(dict.fromkeys(reversed(removed)))


def _title(name: str, catalog: LawCatalog | None) -> str | None:
    if catalog is None:
        return name
    try:
        return catalog.resolve(name)
    except CitationError:
        return None
