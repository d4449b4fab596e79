"""Evidence for abstention: what a question asks for, whether the top articles state it, and the model."""

from __future__ import annotations

import pytest

from indexer.index import Config
from knowledge.abstention import FEATURES, Calibration, Evidence, asked_quantities, content_bigrams, evidence
from knowledge.answers import SearchHit


def hits(*cosines):
    return [SearchHit(i, score=1.0 - i * 0.1, confidence=c, dense=c) for i, c in enumerate(cosines)]


@pytest.mark.parametrize(
    ("question", "kinds"),
    [
        ("教龄津贴现在每个月具体是多少钱？", ["money"]),
        ("单位缴费比例是多少？", ["rate"]),
        ("学生骑自行车上学，需要满多少岁？", ["age"]),
        ("孩子出了水痘，要隔离多少天才能回学校？", ["duration"]),
        ("学校每学期至少要组织几次消防演练？", ["count"]),
        ("学校能不能开除学生？", []),
    ],
)
def test_what_a_question_asks_for(question, kinds):
    assert asked_quantities(question) == kinds


def test_an_amount_asked_for_and_stated_by_no_top_article_is_missing():
    found = evidence("教龄津贴每月多少钱？", hits(0.9), ["中小学教师和职业学校教师享受教龄津贴和其他津贴。"], ["教龄津贴"])
    assert found.asks == ["money"] and found.values["quantity_missing"] == 1.0
    stated = evidence("罚款到期不交每天加罚多少钱？", hits(0.9), ["每日按罚款数额的百分之三加处罚款，不超过五千元。"], [])
    assert stated.values["quantity_missing"] == 0.0 and stated.values["quantity_stated"] == 1.0


def test_a_domain_no_top_article_mentions_is_out_of_scope():
    medical = evidence("孩子发烧了该吃布洛芬吗？", hits(0.86), ["学校应当提供必要的卫生保健条件。"], [])
    assert medical.values["out_of_scope"] == 1.0 and "布洛芬" in medical.out_of_scope
    vaccine = evidence("疫苗接种有什么规定？", hits(0.9), ["卫生健康部门应当依法对未成年人的疫苗预防接种进行规范。"], [])
    assert vaccine.values["out_of_scope"] == 0.0  # the top article speaks of vaccines itself


def test_coverage_counts_content_bigrams_and_legal_terms():
    assert content_bigrams("学校能不能开除学生？") == {"学校", "开除", "除学", "学生"}  # no 能不, 不能
    found = evidence("学校能不能开除学生？", hits(0.91, 0.90), ["学校不得开除学生。", "无关"], ["勒令退学", "开除"])
    assert found.values["cov1"] == 1.0 and found.values["term_cov"] == 0.5
    assert found.values["cos_margin"] == pytest.approx(0.01)
    assert len(found.vector()) == len(FEATURES)


def test_the_shipped_model_is_sure_of_a_close_match_and_not_of_an_out_of_scope_question():
    config = Config()  # carries what bench/calibrate.py wrote
    model = Calibration(list(config.abstain_weights), config.abstain_bias, config.threshold)
    close = {"cos1": 0.93, "cos_margin": 0.01, "fused_margin": 0.2, "cov1": 0.6, "cov3": 0.7, "term_cov": 0.8}
    away = {"cos1": 0.86, "fused_margin": 0.02, "cov1": 0.1, "cov3": 0.1, "no_terms": 1.0, "concept_miss": 1.0,
            "quantity_missing": 1.0, "out_of_scope": 1.0}
    close, away = (Evidence({**dict.fromkeys(FEATURES, 0.0), **values}) for values in (close, away))
    assert model.probability(close) >= model.threshold > model.probability(away)
    assert 0.0 < model.threshold < 1.0


def test_probability_is_a_logistic_of_the_features():
    model = Calibration([1.0] + [0.0] * (len(FEATURES) - 1), bias=-0.5, threshold=0.5)
    low = Evidence(dict.fromkeys(FEATURES, 0.0))
    high = Evidence({**dict.fromkeys(FEATURES, 0.0), "cos1": 1.0})
    assert model.probability(low) == pytest.approx(1 / (1 + 2.718281828 ** 0.5), rel=1e-6)
    assert model.probability(high) > 0.5 > model.probability(low)
