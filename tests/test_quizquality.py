"""The quiz quality bench (bench/quizquality.py): its figures as invariants, and its measures on known cases."""

from __future__ import annotations

import importlib.util
import math
import random
import sys
from collections import Counter

import pytest

from knowledge.quizgen import WHICH_ARTICLE_CAP, draw
from knowledge.quizzes import QuizQuestion, validate
from tests.conftest import ROOT

SEED = 20240910


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("quizquality", ROOT / "bench" / "quizquality.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up while being defined
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def corpus(bench, shared):
    laws, scopes = bench.load(shared / "laws", shared / "study-lists" / "2024.yaml")
    return laws, scopes, {a.id: a for law in laws for a in law.articles}


def assert_sound(bench, questions: list[QuizQuestion], articles: dict) -> None:
    """Every question valid against its article and quoting it word for word; no placeholder option."""
    titles = {article.law_title for article in articles.values()}
    for q in questions:
        article = articles[q.article_id]
        assert validate(q, article) == [], (q, validate(q, article))
        assert bench.verbatim(q, article), q
        assert all(bench.option_kind(o, titles) != "placeholder" for o in q.options), q


def test_rounds_drawn_like_the_bench_are_sound(bench, corpus):
    # The bench's default run: 60 rounds of 5 from the four 2024 lists, the weights of choose_questions.
    laws, scopes, articles = corpus
    rounds = bench.Rounds(scopes, laws)
    rng = random.Random(SEED)
    drawn = [rounds.draw(scopes[n % len(scopes)], 5, rng, "draw", WHICH_ARTICLE_CAP) for n in range(60)]
    flat = [q for questions in drawn for q in questions]
    assert len(flat) == 300
    assert_sound(bench, flat, articles)
    figures = bench.grade_rounds(drawn)
    assert sum(row["dup_in_round"] for row in figures["rows"].values()) == 0
    # 15% of five questions is less than one: no round asks 第几条.
    assert max(figures["which_per_round"]) == math.floor(WHICH_ARTICLE_CAP * 5) == 0
    assert len(Counter(q.generator for q in flat)) >= 7  # every generator but which_article has its turn


def test_one_draw_of_three_hundred_over_every_law_is_sound(bench, corpus):
    _, _, articles = corpus
    questions = draw(list(articles.values()), random.Random(SEED), 300)
    assert len(questions) == 300
    assert_sound(bench, questions, articles)
    for key in ("article_id", "content_hash", "stem"):
        assert len({getattr(q, key) for q in questions}) == 300, key
    which = sum(q.generator == "which_article" for q in questions)
    assert which == 0 == WHICH_ARTICLE_CAP  # issue 18: no 出自第几条 question at all


def test_the_measures_tell_kinds_lengths_and_quotes_apart(bench, corpus):
    laws, _, articles = corpus
    titles = {law.short_title for law in laws}
    kinds = {
        "答案B": "placeholder", "第三十二条": "label", "教师法": "law", "十五日": "number:#日",
        "九月十日": "number:#月#日", "百分之五": "number:%", "县级以上地方各级人民政府": "body:government",
        "国务院教育行政部门": "body:office", "省级人民政府公安部门": "body:office", "幼儿园": "body:institution",
        "乘车人": "body:person", "忠诚于人民的教育事业": "clause:predicate", "根据工作需要": "clause:frame",
        "及时将案件移送司法机关": "clause:predicate",
    }  # fmt: skip
    assert {text: bench.option_kind(text, titles) for text in kinds} == kinds
    assert bench.closeness("学校", "幼儿园") == pytest.approx(2 / 3) and bench.closeness("甲", "甲") == 1.0
    teachers_day = next(a for a in articles.values() if a.text == "每年九月十日为教师节。")
    stem, explanation = "“每年九月十日为教师节”出自哪部法律？", "出处：《教师法》第六条。原文：每年九月十日为教师节。"
    right = QuizQuestion("single", stem, ["教育法", "教师法"], [1], explanation, generator="which_law")
    assert bench.verbatim(right, teachers_day)
    comma = QuizQuestion("single", stem.replace("十日为", "十日，为"), ["教育法", "教师法"], [1], explanation,
                         generator="which_law")  # fmt: skip
    assert not bench.verbatim(comma, teachers_day)
    twice = bench.grade_rounds([[right, right], [right]])
    assert twice["rows"]["which_law"]["dup_in_round"] == 1 and twice["rows"]["which_law"]["repeat"] == 1


def test_the_bench_prints_its_table(bench, monkeypatch, capsys, shared):
    monkeypatch.setattr(sys, "argv", ["quizquality.py", "--laws", str(shared / "laws"), "--n", "20", "--examples", "1"])
    bench.main()
    out = capsys.readouterr().out
    assert "20 questions drawn (draw, cap 0) in 4 rounds of 5" in out
    header = next(line for line in out.splitlines() if line.startswith("generator"))
    assert header.split() == [heading for heading, _ in bench.COLUMNS]
    rows = {line.split()[0]: line.split() for line in out.splitlines() if line.split() and line.split()[0] in
            (*bench.GENERATOR_NAMES, "all")}  # fmt: skip
    assert set(rows) == {*bench.GENERATOR_NAMES, "all"}
    assert rows["all"][9] == "20" and rows["which_article"][9] == "0"  # drawn
    assert "which-article (第几条) share of the draw: 0.0%" in out
