"""The services a running xuefa needs, built once at start-up and passed to every channel."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.settings import Settings
from knowledge.answers import Answer, Retriever, answer
from knowledge.citations import LawCatalog
from knowledge.clock import Clock
from knowledge.keys import Keyring
from knowledge.models import StudyList
from knowledge.quizflow import QuizFlow
from knowledge.reviewed import Match, ReviewedLayer
from knowledge.store import Repository
from knowledge.studylists import current_list
from knowledge.writebehind import WriteBehind

if TYPE_CHECKING:
    from knowledge.generation import Composer

log = logging.getLogger(__name__)


@dataclass
class Services:
    """Settings, the one clock, the database, the index and the quiz flow, shared by every channel."""

    settings: Settings
    repository: Repository
    clock: Clock
    keyring: Keyring = field(default_factory=Keyring.ephemeral)  # keyed hashes of invite codes and accounts
    index: Retriever | None = None  # indexer.Index, or None until `xuefa index` has run
    llm: Composer | None = None  # when XUEFA_LLM_BASE_URL is set
    quizflow: QuizFlow = field(init=False)
    journal: WriteBehind = field(init=False)  # the question log, written after the reply
    _catalog: LawCatalog | None = field(default=None, repr=False)
    _converter: Callable[[str], str] | None = field(default=None, repr=False)
    _catalog_marker: tuple | None = field(default=None, repr=False)
    _index_stamp: float | None = field(default=None, repr=False)
    _reviewed: ReviewedLayer | None = field(default=None, repr=False)
    _reviewed_encoder: object = field(default=None, repr=False)
    # Platform API clients (WeCom, DingTalk), made once per process and shared by push, sign-in and
    # chat, so each access token is fetched once per process, never per message or per part.
    _clients: dict[str, object] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.repository.clock = self.clock  # the store stamps its rows with the same clock
        # Reachable means reachable on a channel this deployment runs: the store's one definition.
        self.repository.live_channels = self.settings.live_channels
        self.quizflow = QuizFlow(self.repository, self.clock, self.current_list)
        self.journal = WriteBehind(self.repository)

    def platform_client(self, name: str, make: Callable[[], object]) -> object:
        """Return the process's client of a platform for the running event loop, made on first use.

        The service runs push, web and chat on one loop, so it has one client and one token; an
        async HTTP client cannot cross loops, so another loop (a test's, a CLI thread's) gets its own.
        """
        try:
            loop = id(asyncio.get_running_loop())
        except RuntimeError:  # no loop: a synchronous caller that only builds URLs
            loop = None
        key = f"{name}@{loop}"
        if key not in self._clients:
            self._clients[key] = make()
        return self._clients[key]

    @property
    def catalog(self) -> LawCatalog:
        """Return the law-name resolver, rebuilt when laws were imported or removed (by any process)."""
        marker = self.repository.laws_marker()
        if self._catalog is None or marker != self._catalog_marker:
            self._catalog = LawCatalog(self.repository.law_titles())
            self._catalog_marker = marker
        return self._catalog

    def reload_index(self) -> None:
        """Load the saved index again if `xuefa index` rebuilt it since it was loaded."""
        meta = self.settings.index_dir / "meta.json"
        stamp = meta.stat().st_mtime if meta.exists() else None
        if stamp == self._index_stamp:
            return
        from indexer import load_index

        encoders = getattr(self.index, "encoders", None)  # reuse the loaded model: loading costs seconds
        self.index = load_index(self.settings, self.repository, encoders) if stamp else None
        self._index_stamp = stamp

    def current_list(self) -> StudyList | None:
        """Return the current study list (by today's date in the bureau's zone, or XUEFA_STUDYLIST), or None."""
        return current_list(self.repository.study_lists(), self.clock.today(), self.settings.studylist)

    def to_simplified(self, text: str) -> str:
        """Convert traditional Chinese to simplified (OpenCC)."""
        if self._converter is None:
            import opencc

            self._converter = opencc.OpenCC("t2s").convert
        return self._converter(text)

    def ask(self, question: str, compose: bool = True) -> Answer:
        """Answer a question from the index (or by citation alone when there is no index)."""
        if self._index_stamp is not None or self.index is None:
            self.reload_index()
        threshold = getattr(self.index, "threshold", 0.0)
        current = self.current_list()
        result = answer(
            question, self.index, self.repository, self.catalog, threshold=threshold, to_simplified=self.to_simplified,
            current={law.title for law in current.laws} if current is not None else None,
        )
        if compose and self.llm is not None and result.passages and not result.abstained:
            self.llm.compose(result, self.catalog)
        return result

    def reviewed_match(self, question: str) -> Match | None:
        """Return the reviewed answer (法治副校长) close enough to a question, searched before the articles."""
        encoders = getattr(self.index, "encoders", None)
        encoder = encoders[0] if encoders else None
        if self._reviewed is None or encoder is not self._reviewed_encoder:
            encode = (lambda texts: encoder.encode(texts, query=True)) if encoder is not None else None
            self._reviewed, self._reviewed_encoder = ReviewedLayer(self.repository, encode), encoder
        return self._reviewed.match(question)

    def close(self) -> None:
        """Write what is still queued, then release the database."""
        self.journal.close()
        self.repository.close()


def build_services(
    settings: Settings, repository: Repository | None = None, clock: Clock | None = None, load_index: bool = True
) -> Services:
    """Open the database (unless given one) and, if one was built, load the saved index."""
    clock = clock or Clock(settings.tz)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    services = Services(
        settings=settings, repository=repository or Repository(settings.db_path, clock), clock=clock,
        keyring=Keyring.load(settings.key_path),
    )
    if load_index:
        services.reload_index()
    if settings.llm_base_url:
        from knowledge.generation import Composer

        key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
        services.llm = Composer(settings.llm_base_url, key, settings.llm_model, settings.llm_timeout)
    return services
