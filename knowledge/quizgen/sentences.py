"""Sentences of an article a question can quote, and the articles that make no question at all."""

from __future__ import annotations

import re
from dataclasses import dataclass

from knowledge.models import ITEM_RE, Article
from knowledge.quizzes import plain

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


@dataclass(frozen=True)
class Span:
    """A stretch of a sentence a question can blank out or change: a body or a modal clause's object."""

    start: int
    end: int
    text: str
    tag: str = ""  # the modal (应当/不得/可以) of an object, empty for a body
    subject: str = ""


ITEM_MIN, ITEM_MAX = 4, 60  # an item shorter is a word, longer a paragraph: neither makes a fair option


@dataclass(frozen=True)
class ItemList:
    """A lead-in ending in 下列…： and the （一）（二）… items it introduces, marks and final punctuation dropped."""

    lead: str
    items: tuple[str, ...]


def item_lists(article: Article) -> list[ItemList]:
    """Return the lists of an article: 教师享有下列权利：（一）…（二）… gives its lead and items."""
    found: list[ItemList] = []
    paragraphs = [p.strip() for p in article.paragraphs]
    for index, paragraph in enumerate(paragraphs):
        if ITEM_RE.match(paragraph) or not paragraph.endswith(_LEAD_IN) or "下列" not in paragraph:
            continue
        items = []
        for item in paragraphs[index + 1 :]:
            if not ITEM_RE.match(item):
                break
            items.append(ITEM_RE.sub("", item).strip().rstrip("；;。，,"))
        lead = paragraph.rstrip("：:")
        lead = lead[max(lead.rfind("。"), lead.rfind("；")) + 1 :]  # the sentence that opens the list
        if len(items) >= 2 and lead:
            found.append(ItemList(lead, tuple(items)))
    return found
