"""Quiz generation: every question over the whole shared corpus is valid, and each generator on known articles."""

from __future__ import annotations

import random
import re
import time
from collections import Counter

import pytest

from knowledge import messages as M
from knowledge.numerals import ArticleNo
from knowledge.quizgen import (
    GENERATOR_NAMES,
    LawPool,
    distinct_bodies,
    generate,
    generate_for,
    is_boilerplate,
    law_texts,
    levels,
    other_tiers_of,
)
from knowledge.quizzes import BLANK, TRUEFALSE_OPTIONS, QuizQuestion, plain, template_pattern, validate

SEED = 20240910
COVERAGE_FLOOR = 0.995  # measured with SEED: 3,640 of the 3,649 non-附则 articles (99.75%)
GENERATOR_FLOORS = {  # about 5% under what SEED gives: 582, 1324, 1866, 2009, 558, 1202, 3540, 3677
    "cloze_number": 550,
    "cloze_body": 1250,
    "cloze_term": 1770,
    "truefalse_modal": 1900,
    "truefalse_number": 530,
    "truefalse_subject": 1160,
    "which_law": 3360,
    "which_article": 3490,
}


@pytest.fixture(scope="module")
def laws(shared_laws):
    return {parsed.law.short_title: parsed.law for parsed in shared_laws}


@pytest.fixture(scope="module")
def texts(laws):
    return law_texts(a for law in laws.values() for a in law.articles)


def article_of(laws, law: str, number: int):
    found = laws[law].article(ArticleNo(number))
    assert found is not None, f"{law} {number}"
    return found


def one(laws, law: str, number: int, generator: str, seed: int = SEED) -> QuizQuestion | None:
    article = article_of(laws, law, number)
    questions = generate(article, laws[law].articles, random.Random(seed), kinds=[generator])
    assert len(questions) <= 1
    return questions[0] if questions else None


def in_appendix(article) -> bool:
    return any(heading.endswith("附则") for heading in article.path)


def test_every_question_over_the_corpus_is_valid(laws, texts):
    started = time.perf_counter()
    rng = random.Random(SEED)
    titles = sorted(law.title for law in laws.values())
    counts: Counter[str] = Counter()
    body_articles = covered = 0
    for law in laws.values():
        pool = LawPool.build(law.articles)
        labels = {a.label for a in law.articles}
        for article in law.articles:
            questions = generate(article, law.articles, rng, other_titles=titles, other_texts=texts, pool=pool)
            if not in_appendix(article):
                body_articles += 1
                covered += bool(questions)
            for q in questions:
                assert validate(q, article) == [], (q, validate(q, article))
                assert validate(q) == []
                counts[q.generator] += 1
                assert q.citation == article.citation and q.origin == "generated"
                assert q.explanation.startswith(f"出处：《{law.short_title}》{article.label}。原文：")
                assert len({plain(o) for o in q.options}) == len(q.options)
                if q.kind == "single":
                    assert len(q.options) == 4
                if q.generator == "which_article":
                    assert set(q.options) <= labels
                if q.generator == "cloze_body":
                    assert all(distinct_bodies(a, b) for a in q.options for b in q.options if a != b), q
                if q.generator == "which_law":
                    quote = plain(template_pattern(M.QUIZ_WHICH_LAW_STEM).fullmatch(q.stem).group("quote"))
                    others = [o for i, o in enumerate(q.options) if i not in q.answer]
                    titles_of = {t.short_title: t.title for t in laws.values()}
                    assert all(quote not in texts[titles_of[o]] for o in others), q
            assert not (questions and is_boilerplate(article))
    elapsed = time.perf_counter() - started
    coverage = covered / body_articles
    print(
        f"\nquizgen: {covered}/{body_articles} non-附则 articles yield a question ({coverage:.1%}); "
        f"{sum(counts.values())} questions in {elapsed:.1f}s"
    )
    for name in GENERATOR_NAMES:
        print(f"  {name:18} {counts[name]}")
    assert coverage >= COVERAGE_FLOOR
    for name, floor in GENERATOR_FLOORS.items():
        assert counts[name] >= floor, (name, counts[name])


def test_teachers_day_is_a_date_cloze(laws):
    q = one(laws, "教师法", 6, "cloze_number")
    assert q.stem == "根据《教师法》，每年（　　）为教师节。"
    assert q.options[q.answer[0]] == "九月十日"
    assert all(re.fullmatch(r"[一二三四五六七八九十]+月[一二三四五六七八九十]+日", o) for o in q.options)
    assert q.explanation == "出处：《教师法》第六条。原文：每年九月十日为教师节。"
    assert q.kind == "single" and len(set(q.options)) == 4


def test_speed_limit_is_a_number_cloze(laws):
    q = one(laws, "道路交通安全法", 58, "cloze_number")
    assert q.options[q.answer[0]] == "十五公里"
    assert BLANK in q.stem and "十五公里" not in q.stem
    assert all(o.endswith("公里") for o in q.options)
    assert q.citation == "《中华人民共和国道路交通安全法》第五十八条"


def test_number_distractors_respect_the_range(laws):
    # 处二十元以上二百元以下罚款: blanking the upper bound must offer only amounts above 二十元.
    article = article_of(laws, "道路交通安全法", 90)
    for seed in range(30):
        for q in generate(article, laws["道路交通安全法"].articles, random.Random(seed), kinds=["cloze_number"]):
            if "二十元以上（　　）以下" in q.stem:
                assert all(o not in ("十元", "五元", "二十元") for o in q.options)


def test_modal_flip_changes_an_obligation(laws):
    seen = {}
    for seed in range(40):
        q = one(laws, "教师法", 3, "truefalse_modal", seed)
        seen.setdefault(q.answer[0], q)
    faithful, altered = seen[0], seen[1]
    assert faithful.stem == "根据《教师法》，判断正误：教师应当忠诚于人民的教育事业。"
    assert altered.stem in (
        "根据《教师法》，判断正误：教师可以忠诚于人民的教育事业。",
        "根据《教师法》，判断正误：教师不得忠诚于人民的教育事业。",
    )
    assert altered.options == list(TRUEFALSE_OPTIONS) and altered.options[altered.answer[0]] == "错误"
    assert altered.explanation == "出处：《教师法》第三条。原文：教师应当忠诚于人民的教育事业。"


def test_a_prohibition_is_never_flipped_into_itself(laws):
    article = article_of(laws, "未成年人保护法", 27)
    for seed in range(20):
        for q in generate(article, laws["未成年人保护法"].articles, random.Random(seed), kinds=["truefalse_modal"]):
            statement = q.stem.split("判断正误：", 1)[1]
            assert (plain(statement) in plain(article.text)) == (q.answer == [0])


def test_number_and_subject_changes_are_false(laws):
    for law, number, generator in [("道路交通安全法", 58, "truefalse_number"), ("教师法", 5, "truefalse_subject")]:
        article = article_of(laws, law, number)
        answers = set()
        for seed in range(30):
            q = one(laws, law, number, generator, seed)
            statement = q.stem.split("判断正误：", 1)[1]
            assert (plain(statement) in plain(article.text)) == (q.answer == [0])
            answers.add(q.answer[0])
        assert answers == {0, 1}, generator


def test_tiers_of_government_that_overlap_are_never_both_offered():
    assert levels("国务院教育行政部门") == {"国"}
    assert levels("县级以上地方人民政府") == {"省", "市", "县"}
    assert levels("学校") is None
    assert not distinct_bodies("国务院教育行政部门", "县级以上人民政府教育行政部门")
    assert distinct_bodies("国务院教育行政部门", "县级以上地方人民政府教育行政部门")
    assert not distinct_bodies("省级人民政府", "县级以上人民政府")
    assert not distinct_bodies("县级以上人民政府", "县级以上地方各级人民政府")
    assert distinct_bodies("学校", "公安机关") and distinct_bodies("国务院", "县级人民政府")


def test_body_cloze_offers_other_bodies_of_the_law_or_other_tiers(laws):
    q = one(laws, "教师法", 5, "cloze_body")
    answer = q.options[q.answer[0]]
    assert q.stem.startswith("根据《教师法》，") and BLANK in q.stem
    assert answer in article_of(laws, "教师法", 5).text
    law_text = "".join(a.text for a in laws["教师法"].articles)
    assert all(o in law_text or o in other_tiers_of(answer) for o in q.options)
    assert other_tiers_of("国务院教育行政部门") == [
        "省级人民政府教育行政部门",
        "设区的市级人民政府教育行政部门",
        "县级人民政府教育行政部门",
    ]


def test_term_cloze_blanks_what_the_clause_requires(laws):
    q = one(laws, "教师法", 3, "cloze_term")
    assert q.stem == "根据《教师法》，教师应当（　　）。"
    assert q.options[q.answer[0]] == "忠诚于人民的教育事业"
    article = article_of(laws, "教师法", 3)
    assert all(plain(o) not in plain(article.text) for i, o in enumerate(q.options) if i not in q.answer)


def test_which_article_offers_real_neighbouring_labels(laws):
    law = laws["教师法"]
    labels = [a.label for a in law.articles]
    for number in (1, 6, 20, 42):
        q = one(laws, "教师法", number, "which_article")
        assert q.options[q.answer[0]] == ArticleNo(number).label
        assert len(set(q.options)) == 4 and set(q.options) <= set(labels)
        assert q.options == sorted(q.options, key=labels.index)
        assert q.stem.endswith("”出自《教师法》第几条？")


def test_which_law_needs_other_titles_and_avoids_laws_that_say_it_too(laws, texts):
    article = article_of(laws, "教师法", 6)
    assert generate(article, laws["教师法"].articles, random.Random(SEED), kinds=["which_law"]) == []
    titles = [law.title for law in laws.values()]
    q = generate(
        article,
        laws["教师法"].articles,
        random.Random(SEED),
        kinds=["which_law"],
        other_titles=titles,
        other_texts=texts,
    )[0]
    assert q.stem == "“每年九月十日为教师节”出自哪部法律？"
    assert q.options[q.answer[0]] == "教师法" and len(set(q.options)) == 4
    assert set(q.options) <= {law.short_title for law in laws.values()}


def test_effective_date_articles_are_skipped(laws):
    article = article_of(laws, "教师法", 43)
    assert is_boilerplate(article)
    assert generate(article, laws["教师法"].articles, random.Random(SEED)) == []


def test_generation_is_deterministic_and_kinds_filter(laws):
    law = laws["教师法"]
    first = [q.content_hash for q in generate_for(law.articles, random.Random(1), per_article=2)]
    second = [q.content_hash for q in generate_for(law.articles, random.Random(1), per_article=2)]
    assert first == second and len(first) >= len(law.articles)
    only = generate_for(law.articles, random.Random(1), per_article=3, kinds=["truefalse"])
    assert only and all(q.kind == "truefalse" for q in only)


def test_validate_reports_every_shape_problem():
    good = QuizQuestion("single", "题干", ["甲", "乙", "丙", "丁"], [1], "出处")
    assert validate(good) == []
    cases = [
        (QuizQuestion("essay", "题干", ["甲", "乙"], [0], ""), M.QUIZ_KIND_UNKNOWN.format(kind="essay")),
        (QuizQuestion("single", " ", ["甲", "乙"], [0], ""), M.QUIZ_STEM_EMPTY),
        (QuizQuestion("single", "长" * 301, ["甲", "乙"], [0], ""), M.QUIZ_STEM_TOO_LONG.format(n=301, limit=300)),
        (QuizQuestion("single", "题干", ["甲"], [0], ""), M.QUIZ_OPTION_COUNT.format(n=1, low=2, high=10)),
        (QuizQuestion("single", "题干", ["甲", " "], [0], ""), M.QUIZ_OPTION_EMPTY.format(n=2)),
        (QuizQuestion("single", "题干", ["甲 乙", "甲乙"], [0], ""), M.QUIZ_OPTION_DUPLICATE.format(option="甲乙")),
        (QuizQuestion("single", "题干", ["甲", "乙"], [2], ""), M.QUIZ_ANSWER_RANGE.format(n=3)),
        (QuizQuestion("single", "题干", ["甲", "乙"], [0, 1], ""), M.QUIZ_ANSWER_ONE.format(n=2)),
        (QuizQuestion("multiple", "题干", ["甲", "乙", "丙"], [0], ""), M.QUIZ_ANSWER_MANY),
        (QuizQuestion("multiple", "题干", ["甲", "乙"], [0, 1], ""), M.QUIZ_ANSWER_ALL),
        (QuizQuestion("multiple", "题干", ["甲", "乙", "丙"], [0, 0], ""), M.QUIZ_ANSWER_REPEATED),
        (QuizQuestion("truefalse", "题干", ["对", "错"], [0], ""), M.QUIZ_TRUEFALSE_OPTIONS),
        (QuizQuestion("single", "题干", ["甲", "乙"], [], ""), M.QUIZ_ANSWER_NONE),
        (
            QuizQuestion("single", "题干", ["甲", "乙"], [0], "解" * 201),
            M.QUIZ_EXPLANATION_TOO_LONG.format(n=201, limit=200),
        ),
    ]
    for question, reason in cases:
        assert reason in validate(question), (question, validate(question))
    long_option = QuizQuestion("single", "题干", ["甲" * 101, "乙"], [0], "")
    assert validate(long_option) == [M.QUIZ_OPTION_TOO_LONG.format(option="甲" * 20, n=101, limit=100)]


def test_validate_checks_questions_against_their_article(laws):
    article = article_of(laws, "教师法", 6)
    explanation = "出处：《教师法》第六条。原文：每年九月十日为教师节。"

    def cloze(options, answer):
        stem = "根据《教师法》，每年（　　）为教师节。"
        return QuizQuestion("single", stem, options, [answer], explanation, generator="cloze_number")

    assert validate(cloze(["九月一日", "九月十日", "十月一日", "五月四日"], 1), article) == []
    assert M.QUIZ_ANSWER_NOT_IN_ARTICLE.format(option="九月一日") in validate(
        cloze(["九月一日", "九月十日", "十月一日", "五月四日"], 0), article
    )
    twice = QuizQuestion(
        "single", "根据《教师法》，每年（　　）为（　　）。", ["甲", "乙"], [0], "", generator="cloze_body"
    )
    assert validate(twice, article) == [M.QUIZ_BLANK_COUNT]

    def judge(statement, answer):
        stem = f"根据《教师法》，判断正误：{statement}"
        return QuizQuestion(
            "truefalse", stem, list(TRUEFALSE_OPTIONS), [answer], explanation, generator="truefalse_number"
        )

    assert validate(judge("每年九月十日为教师节。", 0), article) == []
    assert validate(judge("每年十月一日为教师节。", 1), article) == []
    assert validate(judge("每年九月十日为教师节。", 1), article) == [M.QUIZ_STATEMENT_IN_ARTICLE]
    assert validate(judge("每年十月一日为教师节。", 0), article) == [M.QUIZ_STATEMENT_NOT_IN_ARTICLE]
    which = QuizQuestion(
        "single", "“每年九月十日为教师节”出自哪部法律？", ["教育法", "教师法"], [0], explanation, generator="which_law"
    )
    assert validate(which, article) == [M.QUIZ_WRONG_LAW.format(law="教师法")]
    label = QuizQuestion(
        "single",
        "“每年九月十日为教师节”出自《教师法》第几条？",
        ["第五条", "第六条"],
        [1],
        explanation,
        generator="which_article",
    )
    assert validate(label, article) == []
    elsewhere = QuizQuestion("single", "题干", ["甲", "乙"], [0], "", citation="《中华人民共和国教育法》第六条")
    assert validate(elsewhere, article) == [
        M.QUIZ_CITATION_MISMATCH.format(citation="《中华人民共和国教育法》第六条", expected=article.citation)
    ]


def test_content_hash_tells_questions_apart():
    one_ = QuizQuestion("single", "题干", ["甲", "乙"], [0], "解析一")
    same = QuizQuestion("single", "题干", ["甲", "乙"], [0], "解析二", generator="bank", origin="bank")
    other = QuizQuestion("single", "题干", ["甲", "乙"], [1], "解析一")
    assert one_.content_hash == same.content_hash != other.content_hash
