"""Issue 18: honest scopes, direct citations, named laws, quotes that are never a bare lead-in."""

from __future__ import annotations

import pytest

from bot.render import answer_reply
from bot.reply import Plain
from indexer import make_encoders
from indexer.index import build
from knowledge.answers import CONFIDENT, answer, highlights
from knowledge.citations import LawCatalog
from knowledge.sources import load_files
from knowledge.store import Repository

TEACHERS = "中华人民共和国教师法"
COMPULSORY = "中华人民共和国义务教育法"
ROADS = "中华人民共和国道路交通安全法"
CRIMINAL = "中华人民共和国刑法"
LISTED = ["teachers-law.md", "compulsory-education-law.md", "road-traffic-safety-law.md"]


@pytest.fixture(scope="module")
def store(shared, tmp_path_factory):
    """教师法, 义务教育法 and 道路交通安全法 on the study lists, 刑法 in the store off them."""
    folder = tmp_path_factory.mktemp("scope")
    repository = Repository(folder / "x.db")
    parsed, _ = load_files([shared / "laws" / name for name in LISTED + ["criminal-law.md"]])
    repository.import_laws([p.law for p in parsed])
    articles = repository.articles()
    listed = [a for a in articles if a.law_title != CRIMINAL]
    index, _ = build(listed, make_encoders(None), folder / "index", progress=False,
                     outside=[a for a in articles if a.law_title == CRIMINAL])
    yield repository, index
    repository.close()


def ask(store, question, current=None):
    repository, index = store
    result = answer(question, index, repository, LawCatalog(repository.law_titles()), threshold=index.threshold,
                    current=current)
    return result, "\n\n".join(answer_reply(Plain(), result).parts)


def test_a_law_of_another_quarter_is_said_to_be_outside_this_quarters_list(store):
    result, text = ask(store, "老师体罚学生会被怎么处理", current={ROADS})
    assert result.kind == CONFIDENT and result.passages[0].article.law_title == TEACHERS
    assert text.startswith("本季度学法清单未涉及这个问题。以下条文出自其他季度学法清单中的法律法规")
    assert "根据学法清单中的法律法规" not in text
    _, text = ask(store, "老师体罚学生会被怎么处理", current={TEACHERS, COMPULSORY})
    assert text.startswith("根据本季度学法清单中的法律法规")


def test_a_slip_in_a_citation_is_mended_and_the_article_shown(store):
    result, text = ask(store, "教师发第八条", current={ROADS})
    assert "法规库中没有“教师发”，已按《教师法》检索。" in text
    assert [p.article.label for p in result.passages] == ["第八条"] and result.cited
    assert "请写明法律名称" not in text
    assert "《教师法》第八条 （第二章 权利和义务） 〔其他季度学法清单〕" in text


def test_a_direct_citation_is_not_padded_with_related_articles(store):
    result, text = ask(store, "义务教育法第二十七条")
    assert [p.article.label for p in result.passages] == ["第二十七条"]
    assert not result.related and "相关法条" not in text and text.startswith("您查询的条文：")


def test_a_citation_of_a_store_law_off_the_lists_is_said_to_be_off_them(store):
    result, text = ask(store, "刑法第一百三十三条之一", current={ROADS})
    assert [p.article.label for p in result.passages] == ["第一百三十三条之一"]
    assert "〔不在学法清单内〕" in text


def test_a_question_naming_a_law_the_store_lacks_shows_no_other_laws_articles(store):
    result, text = ask(store, "劳动合同法里试用期最长多久")
    assert not result.passages and not result.outside and not result.related
    assert "法规库中没有《劳动合同法》" in text
    assert "《" not in text.replace("《劳动合同法》", "")


def test_drunk_driving_is_answered_from_the_road_traffic_law_and_the_criminal_law(store):
    result, text = ask(store, "老师醉驾会怎么处理？", current={ROADS})
    assert result.kind == CONFIDENT and result.passages[0].article.law_title == ROADS
    assert text.startswith("根据本季度学法清单中的法律法规")
    assert [p.article.label for p in result.outside] == ["第一百三十三条之一"]
    beside = text[text.index("法规库中还有以下相关条文（不在学法清单内，仅供参考）"):]
    assert "《刑法》第一百三十三条之一" in beside and "有下列情形之一的，处拘役，并处罚金：……（二）醉酒驾驶机动车的；" in beside


def test_a_quote_is_a_lead_in_with_its_matched_item_in_the_articles_order(store):
    repository, _ = store
    law = repository.law(TEACHERS)
    rights = next(a for a in law.articles if a.label == "第七条")
    quoted = highlights(rights, "教师享有哪些权利")
    assert quoted[0].startswith("教师享有下列权利") and len(quoted) >= 2 and quoted[1].startswith("（")
    penalties = next(a for a in law.articles if a.label == "第三十七条")
    quoted = highlights(penalties, "体罚学生的老师会怎样")
    assert quoted[0].startswith("教师有下列情形之一的") and quoted[1].startswith("（二）体罚学生")


def test_a_rule_comes_before_the_penalty_article_that_repeats_it(store):
    result, _ = ask(store, "学校能不能拒绝残疾儿童入学")
    assert result.passages[0].article.citation == "《中华人民共和国义务教育法》第十九条"
    # Asked about the consequence, the penalty article keeps its place.
    result, _ = ask(store, "学校拒收残疾儿童入学会受到什么处罚")
    assert "《中华人民共和国义务教育法》第五十七条" in [p.article.citation for p in result.passages[:2]]


def test_the_years_of_a_penalty_state_no_time_limit_a_question_asks_for():
    from knowledge.abstention import evidence
    from knowledge.answers import SearchHit

    hits = [SearchHit(1, 1.0, dense=0.9), SearchHit(2, 0.8, dense=0.88)]
    texts = ["教育法 第九章 法律责任 违反国家有关规定招收学生的，一年以上三年以下不得招生。",
             "未成年人保护法 学校应当对带入学校的智能终端产品统一管理。"]
    found = evidence("没收后多久要还", hits, texts, [], [], penalties=[True, False])
    assert found.asks == ["duration"] and found.rules_out
    asked_penalty = evidence("违规招生会被禁止招生多久", hits, texts, [], [], penalties=[True, False])
    assert asked_penalty.asks == []


def test_every_year_and_at_least_every_week_state_a_duration():
    from knowledge.abstention import asked_quantities, evidence
    from knowledge.answers import SearchHit

    hits = [SearchHit(1, 1.0, dense=0.9)]
    checkup = ["食品安全法 从事接触直接入口食品工作的食品生产经营人员应当每年进行健康检查，取得健康证明后方可上岗工作。"]
    assert evidence("食堂阿姨多久体检一次", hits, checkup, []).asks == []
    assert "duration" in asked_quantities("学校是不是至少每周要上一次体育课")
    sport = ["学校应当保证学生至少每周有三课时的体育课。"]
    assert evidence("学校是不是至少每周要上一次体育课", hits, sport, []).asks == []


def test_asked_whether_a_law_says_something_it_does_not_the_reply_is_unsure(store):
    result, _ = ask(store, "教师法里有没有说学校不能开除学生")
    assert result.kind != CONFIDENT  # no article of 教师法 says it (义务教育法第二十七条 does, but it was not asked)
    assert all(p.article.law_title == TEACHERS for p in result.passages)
    result, _ = ask(store, "义务教育法有没有说不能开除学生")
    assert result.kind == CONFIDENT and result.passages[0].article.label == "第二十七条"


def test_a_teachers_drunk_driving_is_not_answered_with_a_students_expulsion(store):
    result, _ = ask(store, "老师酒驾会被开除吗")
    assert "《中华人民共和国义务教育法》第二十七条" not in [p.article.citation for p in result.passages]


def test_a_parent_threatening_a_teacher_is_about_insulting_teachers(store):
    result, _ = ask(store, "家长威胁老师怎么办")
    assert result.passages[0].article.citation == "《中华人民共和国教师法》第三十五条"
