"""Grounded answers: the right articles for a question, quoted from the store, or an honest abstention."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from knowledge import messages as M
from knowledge.abstention import Calibration, Evidence, content_bigrams, evidence
from knowledge.citations import LawCatalog, LawNotFound, find_citations, resolve
from knowledge.errors import CitationError
from knowledge.models import ITEM_RE, Article, short_title
from knowledge.ruleorder import asks_consequence, is_penalty, rules_first

if TYPE_CHECKING:
    from knowledge.store import Repository

CONFIDENT, UNSURE, OUTSIDE = "confident", "unsure", "outside"
# Where an answer's articles come from: this quarter's study list, another loaded quarter's list,
# the study lists when no quarter is current, or the rest of the law store.
CURRENT_LIST, OTHER_LIST, LISTS, STORE = "current", "other", "lists", "store"
MAX_QUESTION = 500  # characters kept from a question; the rest is noise for retrieval
_SENTENCE = re.compile(r"[^。；！？\n]+[。；！？]?")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
# What may stand around a law's name in a message that asks for nothing else: 《教师法》？ 教师法呢
_FILLER = re.compile(r"[《》\s？?！!。.，,、：:；;…~]|中华人民共和国|的|吗|呢|吧|啊|请问|查一下|看看|规定|全文|内容|是什么|有哪些")


@dataclass
class SearchHit:
    """One article found by the index, with the evidence for it."""

    article_id: int
    score: float  # fused score, higher is better
    confidence: float = 0.0  # calibrated relevance used for abstention, 0..1
    dense: float | None = None
    keyword: float | None = None
    cited: bool = False  # found through a citation in the question


class Retriever(Protocol):
    """What answers and related articles need from an index (indexer.Index is one)."""

    threshold: float

    def search(self, query: str, k: int = 10, laws: list[str] | None = None) -> list[SearchHit]:
        """Return the best k articles for a query, best first; only of the given laws when set."""

    def terms(self, query: str) -> list[str]:
        """Return the legal terms the query is expanded with."""

    def concepts(self, query: str) -> list[str]:
        """Return the legal concepts the query's situation points to (a part of its terms)."""

    def similar(self, article_id: int, k: int = 5) -> list[SearchHit]:
        """Return the articles nearest in meaning to one article, itself excluded."""


@dataclass
class Passage:
    """An article in an answer, quoted verbatim from the store."""

    article: Article
    score: float
    highlights: list[str] = field(default_factory=list)  # verbatim sentences of the article most relevant

    @property
    def citation(self) -> str:
        """Return 《title》第N条."""
        return self.article.citation


@dataclass
class Answer:
    """What xuefa says to a question."""

    question: str
    passages: list[Passage] = field(default_factory=list)
    abstained: bool = False
    related: list[Article] = field(default_factory=list)
    notice: str | None = None  # why the question was refused or changed
    cited: list[str] = field(default_factory=list)  # citations the user typed that resolved
    citation_errors: list[str] = field(default_factory=list)  # citations the user typed that did not
    ranked: list[int] = field(default_factory=list)  # article ids in retrieval order (cited ones first)
    summary: str | None = None  # optional generated text, grounded in the passages
    removed_citations: list[str] = field(default_factory=list)  # citations stripped from the summary
    kind: str = CONFIDENT  # confident: the passages answer; unsure: nearest only; outside: laws off the list
    probability: float | None = None  # calibrated probability that the study-list passages answer
    matched_terms: list[str] = field(default_factory=list)  # the question's key terms the passages contain
    outside: list[Passage] = field(default_factory=list)  # store articles of laws not on the study list
    evidence: Evidence | None = None  # what the confidence was computed from
    scope: str | None = None  # where the articles shown first come from (CURRENT_LIST, OTHER_LIST, LISTS, STORE)
    current: frozenset[str] | None = None  # the current quarter's law titles, when a quarter is current
    indexed: frozenset[str] = frozenset()  # the study-list laws the search covers

    def scope_of(self, article: Article) -> str:
        """Tell which scope one article comes from."""
        if article.law_title not in self.indexed:
            return STORE
        if self.current is None:
            return LISTS
        return CURRENT_LIST if article.law_title in self.current else OTHER_LIST

    @property
    def outcome(self) -> str:
        """Return how the question was answered, for the question log."""
        if self.notice and not self.passages:
            return "refused"
        return "abstained" if self.abstained else "answered"


def clean_question(text: str, to_simplified: Callable[[str], str] | None = None) -> tuple[str, str | None]:
    """Normalize a question (width, traditional script, length); return it with a notice if refused."""
    text = unicodedata.normalize("NFKC", text or "").strip()
    if to_simplified is not None:
        text = to_simplified(text)
    if not _CJK.search(text):
        if _LATIN_WORD.search(text):
            return "", M.ANSWER_NOT_CHINESE
        return "", M.ANSWER_EMPTY
    if len(text) > MAX_QUESTION:
        return text[:MAX_QUESTION], M.ANSWER_TRUNCATED.format(n=MAX_QUESTION)
    return text, None


def highlights(article: Article, question: str, limit: int = 2, terms: list[str] = ()) -> list[str]:
    """Return the article's sentences sharing the most characters with the question, verbatim and in the
    article's order; an item (（二）…) comes with its lead-in (…下列情形之一的：) and a lead-in with its
    best-matching item, so a quote is never a bare lead-in nor an item without what it belongs to."""
    wanted = set(_bigrams(question)) | {b for term in terms for b in _bigrams(term)}
    paragraphs = article.paragraphs
    units: list[tuple[int, str, int]] = []  # (paragraph, sentence, overlap)
    for i, paragraph in enumerate(paragraphs):
        for sentence in _SENTENCE.findall(paragraph):
            sentence = sentence.strip()
            if len(sentence) >= 4:
                units.append((i, sentence, len(wanted & set(_bigrams(sentence)))))
    ranked = sorted((u for u in range(len(units)) if units[u][2]), key=lambda u: (-units[u][2], u))
    picked = set(ranked[:limit])
    for u in list(picked):
        i, sentence, _ = units[u]
        if ITEM_RE.match(paragraphs[i]):
            lead = _lead_in(paragraphs, i)
            if lead is not None:
                picked.add(max(v for v in range(len(units)) if units[v][0] == lead))
        elif sentence.endswith(("：", ":")):
            items = [v for v in range(len(units)) if units[v][0] in _items_of(paragraphs, i)]
            if items and not picked & set(items):
                picked.add(max(items, key=lambda v: (units[v][2], -v)))
    return [units[u][1] for u in sorted(picked)]


def _lead_in(paragraphs: list[str], item: int) -> int | None:
    """Return the paragraph that introduces an item: the nearest earlier non-item ending in ：."""
    for j in range(item - 1, -1, -1):
        if not ITEM_RE.match(paragraphs[j]):
            return j if paragraphs[j].rstrip().endswith(("：", ":")) else None
    return None


def _items_of(paragraphs: list[str], lead: int) -> list[int]:
    """Return the item paragraphs that follow a lead-in."""
    items = []
    for j in range(lead + 1, len(paragraphs)):
        if not ITEM_RE.match(paragraphs[j]):
            break
        items.append(j)
    return items


def _bigrams(text: str) -> list[str]:
    chars = [ch for ch in text if _CJK.match(ch)]
    return [a + b for a, b in zip(chars, chars[1:])]


def answer(
    question: str,
    retriever: Retriever | None,
    repository: Repository,
    catalog: LawCatalog,
    *,
    threshold: float | None = None,
    k: int = 3,
    depth: int = 10,
    to_simplified: Callable[[str], str] | None = None,
    current: set[str] | frozenset[str] | None = None,
) -> Answer:
    """Answer a question from the study-list index: confidently, unsure with the nearest articles, or
    from store laws off the list; never with an article of a law other than the ones a question names."""
    text, notice = clean_question(question, to_simplified)
    result = Answer(question=question, notice=notice)
    if not text:
        return result
    named = _Named(catalog, text)
    result.citation_errors += named.problems
    if named.slips:  # 教师发第八条: the slip is said once, then the question is read with the name mended
        text = named.mended(text)
        named = _Named(catalog, text)
    result.current = frozenset(current) if current is not None else None
    result.indexed = frozenset(getattr(retriever, "law_titles", ()) or ())
    citations = find_citations(text)
    for citation in citations:
        try:
            resolved = resolve(citation, catalog, repository)
        except CitationError as exc:
            if str(exc) not in result.citation_errors:
                result.citation_errors.append(str(exc))
            continue
        result.cited.append(resolved.label)
        if all(p.article.id != resolved.article.id for p in result.passages):
            result.passages.append(Passage(resolved.article, 1.0, highlights(resolved.article, text)))
    cited_ids = [p.article.id for p in result.passages]
    if named.only_name:
        result.notice = law_overview(repository, named.titles[0]) if named.titles else None
        result.abstained = True
        return result
    if named.only_citations(citations) and result.citation_errors and not result.cited:
        result.abstained = True  # 教育法第一条 with no 教育法 loaded: no other law's article stands in for it
        result.kind = UNSURE
        return result
    if named.only_citations(citations) and result.cited:
        # A citation and nothing else asks for those articles: no search pads it with "related" ones.
        result.kind = CONFIDENT
        result.ranked = cited_ids
        result.scope = result.scope_of(result.passages[0].article)
        return result
    if retriever is None:
        result.abstained = not result.passages
        if not result.passages and not result.citation_errors:
            result.notice = M.ANSWER_SEARCH_NOT_READY
        return result
    indexed = set(getattr(retriever, "law_titles", ()) or ())
    in_list = [t for t in named.titles if t in indexed]
    off_list = [t for t in named.titles if t not in indexed]
    # Named laws narrow the search to themselves; a question naming only laws off the list, or only
    # laws the store lacks, gets no study-list article presented as its answer.
    # A question naming only laws the store lacks (劳动合同法 with no 劳动合同法 loaded) gets "not in
    # the store" and no article at all: any other law's article would be presented in its place.
    searchable = in_list or not (named.titles or named.missing)
    hits = retriever.search(text, k=max(k, depth), laws=in_list or None) if searchable else []
    articles = {a.id: a for a in repository.articles(ids=[hit.article_id for hit in hits])}
    hits = [hit for hit in hits if hit.article_id in articles]  # an id the store no longer has is never shown
    if hits and not asks_consequence(text):
        hits = rules_first(hits, articles, repository)
    terms = retriever.terms(text)
    concepts = retriever.concepts(text)
    texts = [_evidence_text(articles[h.article_id]) for h in hits]
    penalties = [is_penalty(articles[h.article_id]) for h in hits]
    found = result.evidence = evidence(text, hits, texts, terms, concepts, penalties)
    calibration: Calibration | None = getattr(retriever, "calibration", None)
    if calibration is not None:
        result.probability = calibration.probability(found)
        cut = calibration.threshold if threshold is None else threshold
        confident = bool(hits) and result.probability >= cut
    else:  # an index without a calibrated model: the raw cosine, as before
        confident = bool(hits) and max(hit.confidence for hit in hits) >= (threshold or 0.0)
    confident = confident and not found.rules_out and not (named.missing and not in_list)
    if confident and in_list and not said_in(text, [articles[h.article_id] for h in hits[:k]]):
        confident = False  # 教育法里有没有说学校不能开除学生: no article of 教育法 says it
    for hit in hits:
        article = articles[hit.article_id]
        if any(p.article.id == article.id for p in result.passages):
            continue
        if len(result.passages) < k:
            result.passages.append(Passage(article, hit.score, highlights(article, text)))
        elif len(result.related) < 3:
            result.related.append(article)
    outside = getattr(retriever, "outside", None)
    beside = False  # store articles shown beside a confident list answer, not instead of it
    if outside is not None and not in_list and not named.missing:
        off_hits, ratio = outside.lookup(text, k=k, laws=off_list or None)
        off_articles = {a.id: a for a in repository.articles(ids=[h.article_id for h in off_hits])}
        off_hits = [h for h in off_hits if h.article_id in off_articles]
        if off_hits and (off_list or outside.worth_showing(ratio, confident)):
            result.outside = [
                Passage(off_articles[h.article_id], h.score, highlights(off_articles[h.article_id], text)) for h in off_hits
            ]
        elif off_hits and confident and not result.cited and ratio >= BESIDE_RATIO:
            # A confident list answer keeps its place, and a store article that states the very legal
            # term the question was expanded to is shown beside it (醉驾: 道路交通安全法 and 刑法).
            result.outside = [
                Passage(off_articles[h.article_id], h.score, highlights(off_articles[h.article_id], text, terms=terms))
                for h in off_hits if _states_term(off_articles[h.article_id], terms)
            ][:2]
            beside = bool(result.outside)
    if result.cited:
        result.kind = CONFIDENT
    elif result.outside and not beside:  # the store speaks to it more plainly than the list
        result.kind = OUTSIDE
    else:
        result.kind = CONFIDENT if confident else UNSURE
    shown_first = result.outside if result.kind == OUTSIDE else result.passages
    result.scope = result.scope_of(shown_first[0].article) if shown_first else None
    result.abstained = result.kind != CONFIDENT
    searched = [h.article_id for h in hits if h.article_id not in cited_ids]
    outside_ids = [p.article.id for p in result.outside]
    result.ranked = cited_ids + (outside_ids + searched if result.kind == OUTSIDE else searched + outside_ids)
    shown = [p.article for p in (result.outside if result.kind == OUTSIDE else result.passages)]
    result.matched_terms = matched_terms(text, terms, shown)
    return result


# "Does law L say X?": X must be said by one of the top articles, most of its words in one of them.
_ASKS_IF_SAID = re.compile(r"(?:有没有|有无|是否|是不是|哪里|哪条)(?:说|规定|提到|写|讲)(?:过|了)?")
SAID_SHARE = 0.75


def said_in(question: str, articles: list[Article]) -> bool:
    """For a question asking whether a law says something, tell whether one article says most of it."""
    match = _ASKS_IF_SAID.search(question)
    if not match:
        return True
    grams = content_bigrams(question[match.end():])
    if not grams:
        return True
    return any(sum(g in a.text for g in grams) >= SAID_SHARE * len(grams) for a in articles)


BESIDE_RATIO = 0.6  # a store article shown beside a confident answer scores at least this share of the best list one
_SPECIFIC_TERM = 4  # characters: 醉酒驾驶机动车 is specific, 教师 is not


def _states_term(article: Article, terms: list[str]) -> bool:
    """Tell whether an article states one of the question's specific legal terms word for word."""
    return any(len(term) >= _SPECIFIC_TERM and term in article.text for term in terms)


def _evidence_text(article: Article) -> str:
    """Return what evidence is read from: the law's short title, the chapter path and the article."""
    return short_title(article.law_title) + " " + article.chapter + " " + article.text


def matched_terms(question: str, terms: list[str], articles: list[Article], limit: int = 6) -> list[str]:
    """Return the question's legal terms, else its longest shared words, that the articles contain."""
    text = "\n".join(a.text for a in articles)
    found = [t for t in terms if t in text]
    if not found:
        for run in _CJK_RUN.findall(question):
            start = 0
            while start < len(run) - 1:
                end = start + 1
                while end < len(run) and run[start:end + 1] in text:
                    end += 1
                word = run[start:end]
                if len(word) >= 2 and word in text and content_bigrams(word) and not _FILLER.fullmatch(word) and word not in found:
                    found.append(word)
                start = end if len(word) >= 2 else start + 1
    return found[:limit]


def law_overview(repository, title: str) -> str:
    """Describe a law asked for by name alone: its size and chapters, and how to ask about it."""
    law = repository.law(title)
    chapters = list(dict.fromkeys(a.path[0] for a in law.articles if a.path))
    shown = "、".join(chapters[:12]) + ("……" if len(chapters) > 12 else "")
    return M.LAW_ONLY_NAME.format(
        name=short_title(title), count=len(law.articles), chapters=M.LAW_ONLY_NAME_CHAPTERS.format(chapters=shown) if chapters else ""
    )


class _Named:
    """The laws a question names: stored titles, names the store lacks, slips, and whether that is all it says."""

    def __init__(self, catalog: LawCatalog, text: str):
        self.titles: list[str] = []
        self.missing: list[str] = []
        self.problems: list[str] = []
        mentions = catalog.named(text)
        for mention in mentions:
            if mention.title is None:
                if mention.name not in self.missing:
                    self.missing.append(mention.name)
                    self.problems.append(str(LawNotFound(mention.name, catalog.candidates(mention.name))))
                continue
            if mention.title not in self.titles:
                self.titles.append(mention.title)
            if mention.typed:
                self.problems.append(M.LAW_NAME_SLIP.format(typed=mention.typed, name=mention.name))
        self._text = text
        self._spans = [(m.start, m.end) for m in mentions]
        self.only_name = bool(mentions) and self._nothing_else(self._spans)
        self.slips = [m for m in mentions if m.typed and m.title]

    def mended(self, text: str) -> str:
        """Return the text with each slip (教师发) replaced by the name it stands for (教师法)."""
        for slip in sorted(self.slips, key=lambda m: -m.start):
            text = text[:slip.start] + slip.name + text[slip.end:]
        return text

    def only_citations(self, citations: list) -> bool:
        """Tell whether the question is citations (and law names) and nothing else."""
        return bool(citations) and self._nothing_else(self._spans + [(c.start, c.end) for c in citations])

    def _nothing_else(self, spans: list[tuple[int, int]]) -> bool:
        rest = "".join(ch for i, ch in enumerate(self._text) if not any(s <= i < e for s, e in spans))
        return not _CJK.search(_FILLER.sub("", rest))
