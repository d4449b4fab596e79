"""Citations: parse, resolve against the store, and say precisely what is wrong."""

from __future__ import annotations

import pytest

from knowledge.citations import ABBREVIATIONS, LawCatalog, LawNotFound, find_citations, parse_citation, resolve
from knowledge.errors import CitationError
from knowledge.models import short_title
from knowledge.numerals import ArticleNo


@pytest.fixture
def catalog(loaded_repo):
    return LawCatalog(loaded_repo.law_titles())


CASES = [
    ("《中华人民共和国教师法》第八条", "《教师法》第八条", "教师应当履行下列义务"),
    ("教师法第8条", "《教师法》第八条", "教师应当履行下列义务"),
    ("《教师法》第八条", "《教师法》第八条", "教师应当履行下列义务"),
    ("教师法 第 8 条", "《教师法》第八条", "教师应当履行下列义务"),
    ("民法典1165条", "《民法典》第一千一百六十五条", "行为人因过错侵害他人民事权益"),
    ("民法典第一千一百九十九条", "《民法典》第一千一百九十九条", "无民事行为能力人"),
    ("刑法第一百三十三条之一", "《刑法》第一百三十三条之一", "在道路上驾驶机动车"),
    ("刑法第133条之一", "《刑法》第一百三十三条之一", "在道路上驾驶机动车"),
    ("道交法第91条", "《道路交通安全法》第九十一条", "饮酒后驾驶机动车"),
    ("未保法第二十七条", "《未成年人保护法》第二十七条", "尊重未成年人人格尊严"),
    ("民促法第五十九条", "《民办教育促进法》第五十九条", "清偿"),
    ("义教法第二十九条", "《义务教育法》第二十九条", "平等对待学生"),
    ("家促法第十三条", "《家庭教育促进法》第十三条", "家庭教育宣传周"),
    ("预青法第十八条", "《预防未成年人犯罪法》第十八条", "法治教育"),
    ("职教法第五十条", "《职业教育法》第五十条", "实习"),
    ("保密法第二十九条", "《保守国家秘密法》第二十九条", "国家秘密"),
    ("宪法第46条", "《宪法》第四十六条", "受教育的权利和义务"),
    ("教育法第一条", "《教育法》第一条", "为了发展教育事业"),
    ("《中华人民共和国民办教育促进法实施条例》第三十四条", "《民办教育促进法实施条例》第三十四条", "自主招聘教师"),
    ("信访工作条例第三十四条", "《信访工作条例》第三十四条", "办结"),
    ("《政府信息公开条例》第三十三条", "《政府信息公开条例》第三十三条", "20个工作日"),
    ("刑法第237条第2款", "《刑法》第二百三十七条第二款", "聚众或者在公共场所当众"),
    ("《教师法》第三十七条第一款", "《教师法》第三十七条第一款", "教师有下列情形之一"),
    ("消防法第七十三条第一款第三项", "《消防法》第七十三条第一款第三项", "本法下列用语的含义"),
    ("请问教师法第8条规定了什么", "《教师法》第八条", "教师应当履行下列义务"),
]


@pytest.mark.parametrize(("text", "label", "snippet"), CASES)
def test_citations_resolve_to_the_article(loaded_repo, catalog, text, label, snippet):
    citation = find_citations(text)[0] if not _parses(text) else parse_citation(text)
    resolved = resolve(citation, catalog, loaded_repo)
    assert resolved.label == label
    assert snippet in resolved.article.text


def _parses(text):
    try:
        parse_citation(text)
        return True
    except CitationError:
        return False


ERRORS = [
    ("《教师法》第九十九条", "《教师法》共四十三条，没有第九十九条"),
    ("教师法第99条", "《教师法》共四十三条，没有第九十九条"),
    ("民法典第1261条", "《民法典》共一千二百六十条，没有第一千二百六十一条"),
    ("刑法第一百三十三条之五", "没有第一百三十三条之五"),
    ("《教师法》第八条第二款", "《教师法》第八条共一款，没有第二款"),
    ("第八条", "请写明法律名称"),
    ("《劳动法》第一条", "法规库中没有《劳动法》"),
    ("刑诉法第一条", "法规库中没有《刑事诉讼法》"),
    ("《教师条例》第一条", "法规库中没有《教师条例》，是否指《教师法》？"),
    ("XX法第1条", "法规库中没有《XX法》"),
    ("违反了XX法第1条", "法规库中没有《XX法》"),
]


@pytest.mark.parametrize(("text", "message"), ERRORS)
def test_bad_citations_say_exactly_what_is_wrong(loaded_repo, catalog, text, message):
    with pytest.raises(CitationError) as caught:
        resolve(parse_citation(text), catalog, loaded_repo)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    "text", ["hello", "", "教师法", "第条", "《》第一条?!", "教师法第十十条", "教师法第零条", "教师法第99999999999999999999条"]
)
def test_unparseable_input(text):
    with pytest.raises(CitationError):
        parse_citation(text)


def test_a_part_of_a_name_is_no_name_and_gets_candidates(catalog):
    with pytest.raises(LawNotFound) as caught:
        catalog.resolve("民办教育")
    assert caught.value.candidates == ["中华人民共和国民办教育促进法", "中华人民共和国民办教育促进法实施条例"]


def test_find_citations_inherits_the_law_across_an_enumeration():
    found = find_citations("依据《中华人民共和国教师法》第八条、第九条和第三十七条，以及义务教育法第二十九条第一款。")
    assert [(c.article, c.paragraph) for c in found] == [
        (ArticleNo(8), None), (ArticleNo(9), None), (ArticleNo(37), None), (ArticleNo(29), 1),
    ]
    assert found[1].law == "中华人民共和国教师法" and found[2].law == "中华人民共和国教师法"
    assert found[3].law.endswith("义务教育法")


def test_mentions_find_law_names_and_abbreviations(catalog):
    titles = catalog.mentions("醉驾被抓了，道交法和刑法怎么规定？教育法呢？")
    assert titles == ["中华人民共和国道路交通安全法", "中华人民共和国刑法", "中华人民共和国教育法"]
    assert catalog.mentions("义务教育法第二十九条") == ["中华人民共和国义务教育法"]


# --- exact names: a law is never found inside another law's name ------------------------------


def _all_titles(shared_laws):
    from knowledge.bundled import BundledCorpus

    corpus = BundledCorpus()
    try:
        bundled = corpus.titles(status=None)
    finally:
        corpus.close()
    return bundled, [p.law.title for p in shared_laws]


def test_every_title_and_abbreviation_resolves_to_itself(shared_laws):
    for titles in _all_titles(shared_laws):
        catalog = LawCatalog(titles)
        for title in titles:
            assert catalog.resolve(title) == title
            assert catalog.resolve(f"《{title}》") == title
            assert catalog.resolve(short_title(title)) == title
            assert catalog.mentions(f"请问{short_title(title)}第一条") == [title]
        by_short = {short_title(t): t for t in titles}
        for alias, target in ABBREVIATIONS.items():
            if target in by_short:
                assert catalog.resolve(alias) == by_short[target], alias


def test_no_title_resolves_to_another_law_that_contains_it(shared_laws):
    checked = 0
    for titles in _all_titles(shared_laws):
        for title in titles:
            others = [t for t in titles if t != title]
            catalog = LawCatalog(others)
            for name in {title, short_title(title)}:
                with pytest.raises(LawNotFound) as caught:
                    catalog.resolve(name)
                assert caught.value.name == short_title(title)
            assert all(m.title is None for m in catalog.named(f"{short_title(title)}是怎么规定的？"))
            checked += 1
    assert checked > 350


def test_article_of_a_missing_law_names_the_law_and_candidates_and_shows_no_article(tmp_path, monkeypatch, shared):
    from click.testing import CliRunner

    from bot.cli import cli

    monkeypatch.setenv("XUEFA_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("XUEFA_DB", str(tmp_path / "x.db"))
    runner = CliRunner()
    assert runner.invoke(cli, ["laws", "import", str(shared / "laws" / "compulsory-education-law.md")]).exit_code == 0
    result = runner.invoke(cli, ["article", "教育法第一条"])
    assert result.exit_code == 1
    assert "法规库中没有《教育法》，是否指《义务教育法》？" in result.output
    assert "第一条" not in result.output.replace("教育法第一条", "")  # no article text, no 《义务教育法》第一条
    assert "为了保障适龄儿童" not in result.output


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("醉驾被抓了，道交法和刑法怎么规定？教育法呢？", [("道路交通安全法", True), ("刑法", True), ("教育法", True)]),
        ("义务教育法规定了什么", [("义务教育法", True)]),
        ("提高公民法律意识、教育法律法规、人民法院", []),
        ("未成年人保护工作怎么做", []),
        ("劳动法对加班怎么规定", [("劳动法", False)]),
    ],
)
def test_named_laws_in_free_text(catalog, text, expected):
    assert [(m.name, m.title is not None) for m in catalog.named(text)] == expected


def test_a_slip_in_a_law_name_is_recognised_as_that_law(catalog):
    (slip,) = catalog.named("教师发规定老师有哪些权利")
    assert (slip.typed, slip.title) == ("教师发", "中华人民共和国教师法")
    (slip,) = catalog.named("义务教肓法第二十条")
    assert (slip.typed, slip.title) == ("义务教肓法", "中华人民共和国义务教育法")
    assert catalog.named("义务教育阶段的老师") == []
