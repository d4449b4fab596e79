"""Citations: parse, resolve against the store, and say precisely what is wrong."""

from __future__ import annotations

import pytest

from knowledge.citations import LawCatalog, find_citations, parse_citation, resolve
from knowledge.errors import CitationError
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
    ("《劳动法》第一条", "法规库中没有“劳动法”"),
    ("刑诉法第一条", "法规库中没有“刑诉法”"),
    ("《教师条例》第一条", "您是不是要找"),
    ("XX法第1条", "法规库中没有“XX法”"),
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


def test_ambiguous_short_name(catalog):
    with pytest.raises(CitationError, match="可能指多部法规"):
        catalog.resolve("民办教育")


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
