"""The optional sentence-transformers encoder (`pip install 'xuefa[st]'`) on a tiny random BERT built offline.

The model is random, so these tests check the plumbing, not retrieval quality: a sentence-transformers folder
named by XUEFA_EMBEDDING_MODEL loads, embeds, builds an index that saves, loads and searches, and a missing
extra gives one clear message.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest
from click.testing import CliRunner

from bot.cli import cli
from indexer import make_encoders
from indexer.encoders import MissingExtra, SentenceTransformerEncoder
from indexer.index import Index, build, chunks
from knowledge import messages as M
from knowledge.errors import XuefaError
from knowledge.store import Repository
from knowledge.sources import load_files

SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


@pytest.fixture(scope="module")
def store(shared, tmp_path_factory):
    """A store holding the Teachers Law (43 articles)."""
    repository = Repository(tmp_path_factory.mktemp("st-store") / "x.db")
    parsed, errors = load_files([shared / "laws" / "teachers-law.md"])
    assert not errors
    repository.import_laws([p.law for p in parsed])
    yield repository
    repository.close()


@pytest.fixture(scope="module")
def model_dir(store, tmp_path_factory):
    """A sentence-transformers folder: a 2-layer BERT (hidden 32) with random weights and a character vocab."""
    try:
        import torch
    except (ImportError, OSError) as exc:
        # PyPI's Linux torch is a CUDA build whose libraries the test lock leaves out (several GB); where no
        # CPU wheel is at hand, scripts/setup.sh warns and these plumbing tests cannot run.
        pytest.skip(f"torch does not import here ({exc}); install a CPU build of torch 2.13.0")
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Pooling, Transformer
    from transformers import BertConfig, BertModel, BertTokenizer

    root = tmp_path_factory.mktemp("tiny-st")
    texts = [text for article in store.articles() for text in chunks(article)]
    vocab_file = root / "vocab.txt"
    vocab_file.write_text("\n".join(SPECIAL + sorted({c for text in texts for c in text if not c.isspace()})) + "\n",
                          encoding="utf-8")
    tokenizer = BertTokenizer(vocab=str(vocab_file))
    assert tokenizer.unk_token not in tokenizer.tokenize(texts[0])  # the vocab file was read

    torch.manual_seed(0)
    config = BertConfig(vocab_size=len(tokenizer.get_vocab()), hidden_size=32, num_hidden_layers=2,
                        num_attention_heads=2, intermediate_size=64, max_position_embeddings=512)
    bert = root / "bert"
    BertModel(config).save_pretrained(bert)
    tokenizer.save_pretrained(bert)

    transformer = Transformer(str(bert))
    model = SentenceTransformer(modules=[transformer, Pooling(32, "mean")], device="cpu")
    model.save(str(root / "model"))
    return root / "model"


def test_a_sentence_transformers_folder_becomes_an_encoder(model_dir):
    [encoder] = make_encoders(str(model_dir))
    assert isinstance(encoder, SentenceTransformerEncoder)
    assert encoder.dim == 32 and encoder.name == "st:model-512"
    vectors = encoder.encode(["教师法 总则：教师是履行教育教学职责的专业人员", "学生"], query=False)
    assert vectors.shape == (2, 32) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert encoder.encode([], query=True).shape == (0, 32)
    # The weights come from the folder, not from a fresh random start: a second load embeds alike.
    [again] = make_encoders(str(model_dir))
    assert np.allclose(again.encode(["学生"], query=True), vectors[1:], atol=1e-5)


def test_index_with_it_saves_loads_and_searches(model_dir, store, tmp_path):
    articles = store.articles()
    encoders = make_encoders(str(model_dir))
    index, stats = build(articles, encoders, tmp_path / "index", progress=False)
    assert stats.articles == len(index) == 43
    assert stats.embedded == stats.chunks == sum(len(chunks(a)) for a in articles)
    assert (tmp_path / "index" / "embeddings-st_model-512.npz").exists()

    # A paragraph's own text is its nearest neighbour (cosine 1) and, with BM25 agreeing, the top hit.
    for article in (articles[0], articles[5], articles[-1]):
        hits = index.search(chunks(article)[0], 5)
        assert hits[0].article_id == article.id
        assert hits[0].dense == pytest.approx(1.0, abs=1e-4)

    loaded = Index.load(tmp_path / "index", make_encoders(str(model_dir)))
    for question in ["老师可以体罚学生吗", "教师节是哪天"]:
        before, after = index.search(question, 10), loaded.search(question, 10)
        assert [h.article_id for h in before] == [h.article_id for h in after]
        assert np.allclose([h.score for h in before], [h.score for h in after], atol=1e-5)

    _, again = build(articles, encoders, tmp_path / "index", progress=False)
    assert again.embedded == 0  # unchanged text is never embedded twice


def test_missing_extra_says_what_to_install(monkeypatch, tmp_path, shared):
    # The default install has no sentence_transformers; None in sys.modules makes its import fail the same way.
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)
    with pytest.raises(MissingExtra) as caught:
        make_encoders(str(tmp_path / "some-model"))
    assert str(caught.value) == M.ENCODER_ST_MISSING
    assert "pip install 'xuefa[st]'" in M.ENCODER_ST_MISSING
    assert isinstance(caught.value, XuefaError)

    # The admin sees that one line from `xuefa index`, not a traceback.
    monkeypatch.setenv("XUEFA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("XUEFA_DB", str(tmp_path / "data" / "x.db"))
    assert CliRunner().invoke(cli, ["laws", "import", str(shared / "laws" / "teachers-law.md")]).exit_code == 0
    monkeypatch.setenv("XUEFA_EMBEDDING_MODEL", str(tmp_path / "some-model"))
    result = CliRunner().invoke(cli, ["index", "--all"])
    assert result.exit_code == 1
    assert M.ENCODER_ST_MISSING in result.stderr
    assert "Traceback" not in result.output
