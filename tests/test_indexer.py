"""The index with the real default encoder on a small corpus: build, save, load, update, search, answer."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from click.testing import CliRunner

from bot.cli import cli
from indexer import index as indexer_index
from indexer import make_encoders
from indexer.index import Index, build, chunks
from knowledge.answers import answer
from knowledge.citations import LawCatalog
from knowledge.numerals import ArticleNo
from knowledge.sources import load_files
from knowledge.store import Repository

LAWS = ("teachers-law.md", "compulsory-education-law.md", "minors-protection-law.md")


@pytest.fixture(scope="session")
def encoders():
    return make_encoders(None)


@pytest.fixture(scope="session")
def small(shared, tmp_path_factory, encoders):
    """A store of three education laws and its index, built once for the session."""
    folder = tmp_path_factory.mktemp("small")
    repository = Repository(folder / "x.db")
    parsed, _ = load_files([shared / "laws" / name for name in LAWS])
    repository.import_laws([p.law for p in parsed])
    index, stats = build(repository.articles(), encoders, folder / "index", progress=False)
    yield repository, index, stats, folder
    repository.close()


def ask(index, repository, question):
    return answer(question, index, repository, LawCatalog(repository.law_titles()), threshold=index.threshold)


def citations(result):
    return [p.article.citation for p in result.passages]


def test_build_embeds_every_paragraph_once(small):
    repository, index, stats, _ = small
    articles = repository.articles()
    assert len(index) == stats.articles == len(articles) == 43 + 63 + 132
    # Paragraphs whose text the bundled example list shares come from the shipped vectors.
    assert stats.chunks == stats.embedded + stats.shipped == sum(len(chunks(a)) for a in articles)
    first = articles[0]
    assert all(text.startswith(first.law_title.removeprefix("中华人民共和国") + " ") for text in chunks(first))
    article = repository.article("中华人民共和国义务教育法", ArticleNo(29))
    assert chunks(article)[1].startswith("义务教育法 教师：教师在教育教学中应当平等对待学生")


def test_saved_and_loaded_indexes_give_the_same_results(small, encoders):
    repository, index, _, folder = small
    loaded = Index.load(folder / "index", encoders)
    for question in ["老师可以体罚学生吗", "学生能带手机进教室吗", "教师节是哪天"]:
        before, after = index.search(question, 10), loaded.search(question, 10)
        assert [h.article_id for h in before] == [h.article_id for h in after]
        assert np.allclose([h.score for h in before], [h.score for h in after])


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("学生能不能带手机进教室？", "《中华人民共和国未成年人保护法》第七十条"),
        ("班主任罚学生站一整节课，这样合法吗？", "《中华人民共和国义务教育法》第二十九条"),
        ("教师节是每年的几月几号？", "《中华人民共和国教师法》第六条"),
    ],
)
def test_questions_find_their_article(small, question, expected):
    repository, index, _, _ = small
    result = ask(index, repository, question)
    assert not result.abstained
    assert expected in citations(result)
    for passage in result.passages:
        stored = repository.article(passage.article.law_title, passage.article.number)
        assert stored is not None and stored.text == passage.article.text  # quoted verbatim from the store
        assert all(mark in stored.text for mark in passage.highlights)


def test_a_close_call_is_found_even_when_the_reply_is_unsure(small):
    # With three laws indexed the margin to the next article is thin: the article leads either way.
    repository, index, _, _ = small
    result = ask(index, repository, "初二学生老打架，学校能开除他吗")
    assert "《中华人民共和国义务教育法》第二十七条" in citations(result)


def test_unrelated_questions_abstain_but_still_show_the_nearest(small):
    repository, index, _, _ = small
    result = ask(index, repository, "孩子发烧到38.5度，该吃布洛芬还是对乙酰氨基酚？")
    assert result.abstained and result.passages


def test_a_typed_citation_is_checked_against_the_store(small):
    repository, index, _, _ = small
    result = ask(index, repository, "教师法第八条说的是什么？义务教育法第九十九条呢？")
    assert citations(result)[0] == "《中华人民共和国教师法》第八条"
    assert result.citation_errors == ["《义务教育法》共六十三条，没有第九十九条"]
    assert not result.abstained


@pytest.mark.parametrize(
    ("question", "notice"),
    [
        ("", "请用中文输入您的问题"),
        ("？？！！……", "请用中文输入您的问题"),
        ("😀😀🎉", "请用中文输入您的问题"),
        ("Can teachers punish students?", "目前只支持中文提问"),
        ("学生" * 2500, "只按前 500 个字检索"),
        ('" OR 1=1 -- 体罚', None),
        ("NEAR(学生 * 手机", None),
        ('"未闭合的引号 老师', None),
        ("教师法第十十条规定了什么？老师能体罚学生吗", None),
        ("老師可以體罰學生嗎？", None),
    ],
)
def test_bad_input_gets_a_sensible_reply(small, question, notice):
    repository, index, _, _ = small
    result = ask(index, repository, question)
    if notice:
        assert notice in result.notice
    else:
        assert result.passages and result.notice is None
    if question.startswith("老師"):
        assert "《中华人民共和国义务教育法》第二十九条" in citations(result)


def test_an_article_missing_from_the_store_is_never_shown(small, encoders, shared, tmp_path):
    _, _, _, folder = small
    repository = Repository(tmp_path / "x.db")
    parsed, _ = load_files([shared / "laws" / name for name in LAWS])
    repository.import_laws([p.law for p in parsed])
    index = Index.load(folder / "index", encoders)
    repository.remove_law("中华人民共和国未成年人保护法")
    result = ask(index, repository, "学生能不能带手机进教室？")
    assert all("未成年人保护法" not in c for c in citations(result))
    repository.close()


def test_incremental_update_and_deletion(small, encoders, shared, tmp_path):
    repository_small, _, stats, folder = small
    shutil.copytree(folder / "index", tmp_path / "index")
    repository = Repository(tmp_path / "x.db")
    parsed, _ = load_files([shared / "laws" / name for name in LAWS])
    teachers = next(p.law for p in parsed if p.law.source_file == "teachers-law.md")
    teachers.articles[5].text = "每年九月十日为教师节，全社会应当尊重教师。"
    repository.import_laws([p.law for p in parsed])
    index, again = build(repository.articles(), encoders, tmp_path / "index", progress=False)
    assert again.embedded == 1  # only the changed article's one paragraph
    repository.remove_law("中华人民共和国未成年人保护法")
    index, after = build(repository.articles(), encoders, tmp_path / "index", progress=False)
    assert after.embedded == 0 and len(index) == 43 + 63
    minors = {a.id for a in repository_small.articles() if "未成年人保护法" in a.law_title}
    hits = index.search("学生能不能带手机进教室", 20)
    assert not minors & {h.article_id for h in hits}
    with np.load(next((tmp_path / "index").glob("embeddings-*.npz"))) as cache:
        assert len(cache["keys"]) == after.chunks  # removed articles' vectors are gone for good
    loaded = Index.load(tmp_path / "index", encoders)
    assert len(loaded) == 43 + 63
    repository.close()


def test_similar_articles(small):
    repository, index, _, _ = small
    article = repository.article("中华人民共和国义务教育法", ArticleNo(29))
    hits = index.similar(article.id, 5)
    assert len(hits) == 5 and article.id not in [h.article_id for h in hits]


def test_eval_json_has_the_agreed_keys(small, shared, tmp_path, monkeypatch):
    _, _, _, folder = small
    laws = tmp_path / "laws"
    laws.mkdir()
    for name in LAWS:
        shutil.copy(shared / "laws" / name, laws / name)
    gold = lambda law, title, article: {"law": law, "title": title, "article": article}  # noqa: E731
    questions = [
        {"id": "q1", "question": "学生能带手机进教室吗？", "type": "paraphrase",
         "gold": [gold("minors-protection-law.md", "中华人民共和国未成年人保护法", "第七十条")]},
        {"id": "q2", "question": "教师节是哪天？", "type": "lookup",
         "gold": [gold("teachers-law.md", "中华人民共和国教师法", "第六条")]},
        {"id": "q3", "question": "老师罚站学生还让他念检讨，违法吗？", "type": "multi",
         "gold": [gold("compulsory-education-law.md", "中华人民共和国义务教育法", "第二十九条"),
                  gold("minors-protection-law.md", "中华人民共和国未成年人保护法", "第二十七条")]},
        {"id": "q4", "question": "今年中考录取分数线是多少？", "type": "unanswerable", "gold": []},
    ]
    path = tmp_path / "q.jsonl"
    path.write_text("\n".join(json.dumps(q, ensure_ascii=False) for q in questions), encoding="utf-8")
    cache = tmp_path / "cache"
    shutil.copytree(folder / "index", cache)  # reuse embeddings: the metrics, not the encoder, are under test
    monkeypatch.setenv("XUEFA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("XUEFA_DB", str(tmp_path / "data" / "user.db"))
    result = CliRunner().invoke(cli, ["eval", str(path), "--laws", str(laws), "--json", "--cache", str(cache)])
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout)
    for key in ("n", "recall@1", "recall@5", "recall@10", "mrr", "multi_all@5", "abstention", "false_abstention",
                "p50_ms", "p95_ms", "index_s", "by_type"):
        assert key in metrics
    assert metrics["n"] == 4 and metrics["n_answerable"] == 3
    assert metrics["recall@5"] == 1.0 and metrics["by_type"]["lookup"]["recall@1"] == 1.0
    assert set(metrics["by_type"]) == {"lookup", "paraphrase", "multi", "unanswerable"}
    assert not (tmp_path / "data" / "user.db").exists()  # the user's database was never created or touched


def test_services_load_the_saved_index_and_reload_it_after_a_rebuild(small, encoders):
    from bot.services import build_services
    from bot.settings import Settings

    repository, index, _, folder = small
    services = build_services(Settings(data_dir=folder, _env_file=None), repository)
    assert "《中华人民共和国教师法》第六条" in citations(services.ask("教师节是几月几号？"))
    first = services.index
    assert first is not None and len(first) == len(index)
    services.ask("学生能带手机吗")
    assert services.index is first  # unchanged on disk: not reloaded
    (folder / "index" / "meta.json").touch()
    services.ask("学生能带手机吗")
    assert services.index is not first and services.index.encoders is first.encoders


def test_eval_from_the_store_never_writes_to_it(small, shared, tmp_path, monkeypatch):
    _, _, _, folder = small
    monkeypatch.setenv("XUEFA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("XUEFA_DB", str(tmp_path / "data" / "user.db"))
    runner = CliRunner()
    assert runner.invoke(cli, ["laws", "import", str(shared / "laws" / "teachers-law.md")]).exit_code == 0
    user_db = tmp_path / "data" / "user.db"
    before = (user_db.read_bytes(), user_db.stat().st_mtime_ns)
    questions = tmp_path / "q.jsonl"
    questions.write_text(json.dumps({"id": "q", "question": "教师节是哪天", "type": "lookup", "gold": [
        {"law": "teachers-law.md", "title": "中华人民共和国教师法", "article": "第六条"}]}, ensure_ascii=False), "utf-8")
    cache = tmp_path / "cache"
    shutil.copytree(folder / "index", cache)
    result = runner.invoke(cli, ["eval", str(questions), "--json", "--cache", str(cache)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["recall@1"] == 1.0
    assert (user_db.read_bytes(), user_db.stat().st_mtime_ns) == before


# --- named laws, the three kinds of reply, the store outside the study list ---------------------

MINORS = "中华人民共和国未成年人保护法"


def laws_of(result, which="passages"):
    return {p.article.law_title for p in getattr(result, which)}


def test_a_question_naming_a_law_is_answered_from_that_law_only(small):
    repository, index, _, _ = small
    result = ask(index, repository, "义务教育法对学生带手机进课堂有什么规定？")
    assert result.passages and laws_of(result) == {"中华人民共和国义务教育法"}
    both = ask(index, repository, "教师法和义务教育法对教师工资待遇是怎么规定的？")
    assert both.passages and laws_of(both) <= {"中华人民共和国教师法", "中华人民共和国义务教育法"}


def test_a_law_the_store_lacks_is_named_and_never_answered_confidently(small):
    repository, index, _, _ = small
    result = ask(index, repository, "劳动法对教师加班有什么规定？")
    assert any("法规库中没有《劳动法》" in e for e in result.citation_errors)
    assert result.abstained and result.kind == "unsure"
    cited = ask(index, repository, "教育法第一条")
    assert cited.citation_errors == ["法规库中没有《教育法》，是否指《义务教育法》？"]
    assert cited.passages == [] and cited.abstained  # no 《义务教育法》第一条 standing in for it


def test_a_slip_in_the_name_searches_the_law_meant_and_says_so(small):
    repository, index, _, _ = small
    result = ask(index, repository, "教师发规定教师有哪些权利？")
    assert "法规库中没有“教师发”，已按《教师法》检索。" in result.citation_errors
    assert laws_of(result) == {"中华人民共和国教师法"}
    assert "《中华人民共和国教师法》第七条" in citations(result)


def test_a_law_name_alone_gets_an_overview(small):
    repository, index, _, _ = small
    result = ask(index, repository, "《教师法》？")
    assert result.notice.startswith("《教师法》共43条，分为：第一章 总则、第二章 权利和义务")
    assert result.passages == []


def test_traditional_script_and_full_width_digits(small):
    import opencc

    repository, index, _, _ = small
    result = answer("教師法第８條規定了什麼？", index, repository, LawCatalog(repository.law_titles()),
                    to_simplified=opencc.OpenCC("t2s").convert)
    assert result.cited == ["《教师法》第八条"] and citations(result)[0] == "《中华人民共和国教师法》第八条"


def test_an_amount_the_law_does_not_state_gets_an_unsure_reply_with_the_matched_terms(small):
    repository, index, _, _ = small
    result = ask(index, repository, "教师的教龄津贴现在每个月具体是多少钱？")
    assert result.kind == "unsure" and result.abstained
    assert "《中华人民共和国教师法》第二十六条" in citations(result)
    assert "教龄津贴" in result.matched_terms


@pytest.fixture(scope="module")
def off_list(small, encoders, tmp_path_factory):
    """The same store with 未成年人保护法 off the study list: embedded laws 教师法 and 义务教育法 only."""
    repository, _, _, folder = small
    target = tmp_path_factory.mktemp("offlist")
    for cache in (folder / "index").glob("embeddings-*.npz"):
        shutil.copy(cache, target / cache.name)
    articles = repository.articles()
    listed = [a for a in articles if a.law_title != MINORS]
    index, stats = build(listed, encoders, target, progress=False, outside=[a for a in articles if a.law_title == MINORS])
    assert stats.embedded == 0 and len(index.outside) == 132
    return repository, index, target


def test_a_question_off_the_list_is_answered_from_the_store_and_said_to_be_off_the_list(off_list, encoders):
    repository, index, folder = off_list
    result = ask(index, repository, "学生能不能带手机进教室？")
    assert result.kind == "outside" and result.abstained
    assert "《中华人民共和国未成年人保护法》第七十条" in [p.article.citation for p in result.outside]
    named = ask(Index.load(folder, encoders), repository, "未成年人保护法对网络游戏有什么规定？")  # saved and loaded
    assert named.kind == "outside" and laws_of(named, "outside") == {MINORS} and named.passages == []


def test_a_question_the_list_answers_is_not_sent_outside(off_list):
    repository, index, _ = off_list
    result = ask(index, repository, "教师节是每年的几月几号？")
    assert result.kind == "confident" and result.outside == []


def test_saving_switches_to_the_new_index_in_one_step_whatever_the_crash(small, encoders, monkeypatch, tmp_path):
    _, index, _, _ = small
    folder = tmp_path / "index"
    folder.mkdir()  # an index saved before versions: a plain folder, with an embedding cache in it
    (folder / "embeddings-x.npz").write_bytes(b"cache")
    index.save(folder)
    assert folder.is_symlink() and (folder / "embeddings-x.npz").read_bytes() == b"cache"
    assert Index.load(folder, encoders).search("教师节", 1)
    first = folder.resolve()

    # A crash just before the switch: the index in use stays whole; the half-saved version is swept later.
    def crash(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr("indexer.index.os.replace", crash)
    with pytest.raises(KeyboardInterrupt):
        index.save(folder)
    monkeypatch.undo()
    assert folder.resolve() == first and Index.load(folder, encoders).search("教师节", 1)
    index.save(folder)
    assert folder.resolve() != first
    assert sorted(p.name for p in tmp_path.iterdir()) == ["index", folder.resolve().name]  # nothing else left

    # A crash in the one window of the old layout (folder moved aside, link not placed): found again.
    folder.unlink()
    assert indexer_index.current_version(folder) is not None
    assert Index.load(folder, encoders).search("教师节", 1)
