"""Issue 18: a round with focus chapters asks about them, and about what the law says, not article numbers."""

from __future__ import annotations

import random
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from knowledge.clock import Clock
from knowledge.models import Focus, StudyList, StudyListLaw
from knowledge.numerals import ArticleNo
from knowledge.rounds import FOCUS_SHARE, choose_questions, draw_attempt, focus_article_ids
from knowledge.store import Repository

SHANGHAI = ZoneInfo("Asia/Shanghai")
WEDNESDAY = datetime(2030, 10, 9, 12, 0, tzinfo=SHANGHAI)
CIVIL = "中华人民共和国民法典"
ROADS = "中华人民共和国道路交通安全法"
FIRE = "中华人民共和国消防法"


@pytest.fixture(scope="module")
def q4(shared_laws):
    """The example list's fourth quarter as far as the shared laws go: 校园安全与侵权责任."""
    repo = Repository(clock=Clock("Asia/Shanghai", WEDNESDAY))
    repo.import_laws([p.law for p in shared_laws if p.law.title in (CIVIL, ROADS, FIRE)])
    repo.save_study_lists([StudyList(
        id="2030-Q4", title="第四季度学法清单：校园安全与侵权责任", start="2030-10-01", end="2030-12-31",
        laws=[
            StudyListLaw(CIVIL, Focus(chapters=["第三章 责任主体的特殊规定"],
                                      ranges=[(ArticleNo(1165), ArticleNo(1167))])),
            StudyListLaw(ROADS, Focus(chapters=["第四章 道路通行规定"])),
            StudyListLaw(FIRE, Focus(chapters=["第二章 火灾预防"])),
        ],
    )])
    yield repo, repo.study_lists()[0]
    repo.close()


def test_a_pool_and_every_attempt_come_mostly_from_the_focus(q4):
    repo, study_list = q4
    focus = focus_article_ids(repo, study_list)
    assert focus
    for seed in range(3):
        pool = choose_questions(repo, study_list, 20, random.Random(seed), WEDNESDAY)
        assert len(pool) == 20
        inside = sum(q.article_id in focus for q in pool)
        assert inside >= FOCUS_SHARE * 20, inside  # was 6 of 20
        assert not any(q.generator == "which_article" for q in pool)  # was 3 of 20 出自第几条
        for attempt_seed in range(5):
            attempt = draw_attempt(pool, 5, set(), random.Random(attempt_seed), focus)
            assert len(attempt) == 5 and sum(q.article_id in focus for q in attempt) >= 4
