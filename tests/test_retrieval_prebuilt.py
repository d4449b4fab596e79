"""The vectors shipped for the bundled example list: a first build embeds nothing they cover, and a
changed text is embedded again (they are keyed by text hash, so never stale)."""

from __future__ import annotations

import numpy as np
import pytest

from indexer import make_encoders, prebuilt
from indexer.encoders import text_key
from indexer.index import build, chunks
from knowledge.bundled import BundledCorpus, bundled_laws
from knowledge.store import Repository


@pytest.fixture(scope="module")
def encoder():
    (encoder,) = make_encoders(None)
    return encoder


def test_the_shipped_vectors_cover_the_example_list_and_match_the_encoder(encoder):
    vectors = prebuilt.vectors(encoder.name, encoder.dim)
    assert len(vectors) > 5000
    assert all(len(key) == 40 for key in vectors)  # digests ending in zero bytes keep them
    text = "教师法 权利和义务：教师享有下列权利："
    if text_key(text) in vectors:  # an exact text of the list; otherwise compare any embedding below
        assert float(vectors[text_key(text)] @ encoder.encode([text], query=False)[0]) > 0.999
    assert prebuilt.vectors("another-encoder", encoder.dim) == {}


def test_a_build_of_an_example_law_embeds_only_what_changed(encoder, tmp_path):
    repository = Repository(tmp_path / "x.db")
    corpus = BundledCorpus()
    try:
        (law,) = [p.law for p in bundled_laws(corpus, ["中华人民共和国教师法"])]
    finally:
        corpus.close()
    repository.import_laws([law])
    articles = repository.articles()
    _, first = build(articles, [encoder], tmp_path / "index", progress=False)
    assert first.embedded == 0 and first.shipped == first.chunks == sum(len(chunks(a)) for a in articles)
    law.articles[0].text += "本句为测试而加。"
    repository.import_laws([law])
    index, second = build(repository.articles(), [encoder], tmp_path / "index", progress=False)
    assert second.embedded == 1  # the changed paragraph's hash is not in the shipped file
    fresh = encoder.encode([chunks(repository.articles()[1])[0]], query=False)[0]
    assert float(np.dot(index.dense[0].article_vector(1), fresh)) > 0.99
    repository.close()
