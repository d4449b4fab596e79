"""The situation -> concept vocabulary and age brackets that carry scenario questions to legal terms."""

from __future__ import annotations

import pytest

from indexer.text import Vocabulary, age_terms, parse_concepts


@pytest.fixture(scope="module")
def vocabulary():
    return Vocabulary()


def test_groups_joined_by_plus_must_all_occur():
    items = parse_concepts("# comment\n狗,猫+咬,抓=饲养的动物 损害\n坏行\n=没有触发词\n")
    assert items == [([["狗", "猫"], ["咬", "抓"]], ["饲养的动物", "损害"])]


@pytest.mark.parametrize(
    ("question", "expected", "absent"),
    [
        ("学校门口有人遛狗不拴绳，狗把学生咬伤了，谁来赔？", ["饲养的动物", "人身损害"], ["交通事故"]),
        ("体育课踢足球，一个学生被另一个学生撞倒骨折了", ["具有一定风险的文体活动", "人身损害"], ["交通事故"]),
        ("开车追尾了前面的车，司机该怎么办", ["交通事故"], []),
        ("老师下班路上给晕倒的老人做心肺复苏，压断了肋骨", ["紧急救助"], []),
        ("班主任偷偷翻学生的日记本", [], ["盗窃"]),  # 偷偷 is not theft
        ("学校组织春游要注意什么", [], ["组织未成年人"]),
    ],
)
def test_situations_map_to_the_laws_words(vocabulary, question, expected, absent):
    terms = vocabulary.concepts(question)
    assert all(t in terms for t in expected), terms
    assert not any(t in terms for t in absent), terms


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("一年级学生（7岁）摔伤了", ["不满八周岁", "无民事行为能力人"]),
        ("初三学生（15岁）打闹摔伤", ["限制民事行为能力人", "已满十四周岁不满十六周岁"]),
        ("十三岁的孩子犯了事", ["限制民事行为能力人", "不满十四周岁", "已满十二周岁不满十四周岁"]),
        ("招十四五岁的初中生打工", ["已满十四周岁不满十六周岁", "未满十六周岁"]),
        ("17周岁的学生打架", ["已满十六周岁"]),
        ("20岁的实习生", ["完全民事行为能力人"]),
    ],
)
def test_ages_map_to_capacity_and_criminal_age_brackets(question, expected):
    terms = age_terms(question)
    assert all(t in terms for t in expected), terms


def test_every_concept_term_is_the_laws_own_wording(vocabulary, shared_laws):
    text = "\n".join(a.text for p in shared_laws for a in p.law.articles)
    missing = sorted({t for _, terms in vocabulary.concept_items for t in terms if t not in text})
    assert missing == []
