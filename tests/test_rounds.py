"""Weekly rounds without Telegram: the week and its deadline, choosing questions, attempts, scoring, schedules."""

from __future__ import annotations

import json
import random
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from knowledge import messages as M
from knowledge.clock import Clock
from knowledge.members import RosterRow
from knowledge.models import Focus, StudyList, StudyListLaw
from knowledge.quizgen import generate
from knowledge.quizzes import BANK, QuizQuestion, validate
from knowledge.rounds import (
    QuizError,
    Schedule,
    answer_question,
    choose_questions,
    ensure_round,
    finish,
    iso_week,
    load_schedule,
    save_schedule,
    start_or_resume,
    week_bounds,
)
from knowledge.store import Repository

TZ = "Asia/Shanghai"
SHANGHAI = ZoneInfo(TZ)
TEACHERS = "中华人民共和国教师法"
COMPULSORY = "中华人民共和国义务教育法"
FOCUS_CHAPTER = "第二章 权利和义务"  # 教师法 第七条至第九条
# A Wednesday, and the Monday and Sunday of its ISO week (2030-W10).
WEDNESDAY = datetime(2030, 3, 6, 12, 0, tzinfo=SHANGHAI)
MONDAY = date(2030, 3, 4)


def clock_at(moment: datetime) -> Clock:
    """Return the one clock, stopped at a moment."""
    return Clock(TZ, moment)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def repository(shared_laws):
    repo = Repository(clock=clock_at(WEDNESDAY))  # everything the store stamps happens on that Wednesday
    repo.import_laws([p.law for p in shared_laws if p.law.title in (TEACHERS, COMPULSORY)])
    repo.save_study_lists([
        StudyList(
            id="T-Q1", title="测试清单", start="2000-01-01", end="2099-12-31",
            laws=[StudyListLaw(TEACHERS, Focus(chapters=[FOCUS_CHAPTER])), StudyListLaw(COMPULSORY)],
        ),
        StudyList(
            id="NARROW", title="只学教师法", start="1990-01-01", end="1990-12-31",
            laws=[StudyListLaw(TEACHERS, Focus(chapters=[FOCUS_CHAPTER]))],
        ),
        # Recency and interest alone: with a focus, FOCUS_SHARE of every round goes to its three articles.
        StudyList(id="PLAIN", title="只学教师法，无重点", start="1991-01-01", end="1991-12-31",
                  laws=[StudyListLaw(TEACHERS)]),
    ])
    repo.import_roster([
        RosterRow(row=2, staff_no="T001", name="张老师", unit="城关一小", role="teacher", phone=""),
        RosterRow(row=3, staff_no="T002", name="钱老师", unit="城关一小", role="teacher", phone=""),
    ])
    yield repo
    repo.close()


def study_list(repo: Repository, list_id: str = "T-Q1") -> StudyList:
    return next(s for s in repo.study_lists() if s.id == list_id)


def member_id(repo: Repository, staff_no: str = "T001") -> int:
    return repo.find_members(staff_no)[0].id


def right(repo, attempt, position) -> list[int]:
    return repo.attempt_question(attempt.id, position).answer


def wrong(repo, attempt, position) -> list[int]:
    question = repo.attempt_question(attempt.id, position)
    return [next(i for i in range(len(question.options)) if i not in question.answer)]


def take(repo, round_, member: int, n_right: int, now: datetime):
    """Take an attempt answering the first n_right questions right and the rest wrong; return the result."""
    attempt = start_or_resume(repo, round_, member, now)
    for position in range(attempt.total):
        chosen = right(repo, attempt, position) if position < n_right else wrong(repo, attempt, position)
        answer_question(repo, attempt, position, chosen, now)
    return finish(repo, attempt, round_, now)


# --- the week, its opening and its deadline ---------------------------------------------


def test_one_round_per_iso_week_reused_within_it(repository):
    first = ensure_round(repository, study_list(repository), clock_at(WEDNESDAY), random.Random(1))
    assert first.week == "2030-W10" and first.questions == 5 and len(first.question_ids) == 20 and first.pass_mark == 0.8
    assert ensure_round(repository, study_list(repository), clock_at(local(MONDAY, 0, 1))).id == first.id
    # Sunday 23:30 in Shanghai (15:30 UTC) is still W10.
    sunday_night = local(MONDAY + timedelta(days=6), 23, 30)
    assert ensure_round(repository, study_list(repository), clock_at(sunday_night.astimezone(timezone.utc))).id == first.id
    # Monday 00:30 in Shanghai is Sunday 16:30 UTC: the week is counted in the bureau's zone.
    next_monday = local(MONDAY + timedelta(days=7), 0, 30).astimezone(timezone.utc)
    assert next_monday.isoweekday() == 7
    second = ensure_round(repository, study_list(repository), clock_at(next_monday), random.Random(2))
    assert second.id != first.id and second.week == "2030-W11"
    assert [r.week for r in repository.rounds()] == ["2030-W10", "2030-W11"]
    # A round needs a study list, but an existing round does not.
    assert ensure_round(repository, None, clock_at(WEDNESDAY)).id == first.id
    with pytest.raises(QuizError, match=M.QUIZ_NO_LIST):
        ensure_round(repository, None, clock_at(WEDNESDAY + timedelta(days=14)))


def test_opening_and_deadline_are_local_to_shanghai(repository):
    round_ = ensure_round(repository, study_list(repository), clock_at(WEDNESDAY), random.Random(1))
    assert round_.opens_at == "2030-03-03T16:00:00+00:00"  # Monday 00:00 in Shanghai
    assert round_.deadline == "2030-03-10T14:00:00+00:00"  # Sunday 22:00 in Shanghai
    sunday = MONDAY + timedelta(days=6)
    assert round_.is_open(local(sunday, 21, 59))
    assert round_.is_open(local(sunday, 22, 0))
    assert not round_.is_open(local(sunday, 22, 1))
    assert round_.is_open(local(MONDAY, 0, 0)) and not round_.is_open(local(MONDAY, 0, 0) - timedelta(seconds=1))
    with pytest.raises(QuizError, match="截止"):
        start_or_resume(repository, round_, member_id(repository), local(sunday, 22, 1))


def test_a_changed_schedule_moves_the_deadline_of_new_rounds(repository):
    save_schedule(repository, Schedule(deadline_weekday=6, deadline_time="18:30", questions=3, pass_mark=0.6))
    opens, deadline = week_bounds(MONDAY + timedelta(days=2), load_schedule(repository), TZ)
    assert (opens.isoformat(), deadline.isoformat()) == ("2030-03-04T00:00:00+08:00", "2030-03-09T18:30:00+08:00")
    round_ = ensure_round(repository, study_list(repository), clock_at(WEDNESDAY), random.Random(3))
    assert round_.questions == 3 and len(round_.question_ids) == 12 and round_.pass_mark == 0.6
    assert round_.deadline == "2030-03-09T10:30:00+00:00"


def test_iso_week_labels_follow_iso_years():
    assert iso_week(date(2030, 3, 6)) == "2030-W10"
    assert iso_week(date(2026, 12, 31)) == "2026-W53"
    assert iso_week(date(2027, 1, 3)) == "2026-W53"
    assert iso_week(date(2027, 1, 4)) == "2027-W01"


# --- choosing questions -----------------------------------------------------------------


def test_choose_respects_n_and_every_question_is_valid(repository):
    for n in (1, 3, 5, 12):
        questions = choose_questions(repository, study_list(repository), n, random.Random(n), WEDNESDAY)
        assert len(questions) == n
        assert len({q.content_hash for q in questions}) == n
        for question in questions:
            [article] = repository.articles(ids=[question.article_id])
            assert validate(question, article) == [], question
            assert article.law_title in (TEACHERS, COMPULSORY)


def test_choose_favours_the_focus(repository):
    narrow = study_list(repository, "NARROW")  # 教师法 only, focus on three of its 43 articles
    articles = repository.articles(law_ids=repository.law_ids([TEACHERS]))
    focus = {a.id for a in articles if narrow.laws[0].focus.covers(a)}
    assert len(focus) == 3 and len(articles) == 43
    covered = 0
    for seed in range(20):
        pool = choose_questions(repository, narrow, 20, random.Random(seed), WEDNESDAY)  # a round's pool
        covered += len(focus & {q.article_id for q in pool})
    # Uniform choice of 20 of the 43 articles would cover each focus article ~47% of the time.
    assert covered / (20 * len(focus)) > 0.8, covered


def test_choose_avoids_articles_of_recent_rounds(repository):
    narrow = study_list(repository, "PLAIN")

    def overlap(asked: set[int]) -> int:
        return sum(
            len(asked & {q.article_id for q in choose_questions(repository, narrow, 5, random.Random(seed), WEDNESDAY)})
            for seed in range(100, 130)
        )

    first = ensure_round(repository, narrow, clock_at(WEDNESDAY), random.Random(7))
    asked = {repository.question(qid).article_id for qid in first.question_ids}
    after = overlap(asked)
    repository.db.execute("DELETE FROM round_questions")  # forget the round: what would chance give?
    before = overlap(asked)
    # The last pool asked 20 of the 43 articles: a quiz of 5 still meets some of them when the others
    # offer too few kinds of question (fewer still with no which-article questions), but far fewer than by chance.
    assert after * 1.8 <= before, (after, before)


def test_choose_favours_articles_members_asked_about_or_got_wrong(repository):
    narrow = study_list(repository, "PLAIN")
    articles = repository.articles(law_ids=repository.law_ids([TEACHERS]))
    target = quizzable(articles, "第三十三条")
    for _ in range(5):
        repository.log_question(member_id(repository), "telegram", "教师法第三十三条？", "article", [target])
    assert repository.article_interest("2000-01-01")[target.id] == 5
    asked = sum(
        target.id in {q.article_id for q in choose_questions(repository, narrow, 5, random.Random(seed), WEDNESDAY)}
        for seed in range(30)
    )
    # Uniform over the 43 articles it would come up in ~3 of 30 rounds.
    assert asked >= 10, asked


def quizzable(articles, number: str):
    """Return the article numbered so, checking it offers more than "which article" questions."""
    article = next(a for a in articles if a.number.label == number)
    assert {q.generator for q in generate(article, articles, random.Random(0))} - {"which_article"}
    return article


def test_wrong_quiz_answers_count_as_interest(repository):
    round_ = ensure_round(repository, study_list(repository), clock_at(WEDNESDAY), random.Random(5))
    result = take(repository, round_, member_id(repository), 0, WEDNESDAY)
    interest = repository.article_interest("2000-01-01")
    asked = {question.article_id for question in result.questions}
    assert set(interest) == asked and all(count == 1 for count in interest.values())


def bank(n: int, article_id: int) -> list[QuizQuestion]:
    return [
        QuizQuestion(
            kind="single", stem=f"题库第{i}题：教师节是哪一天？", options=["九月十日", f"{i}月{i}日"], answer=[0],
            explanation="教师法第六条。", citation=f"《{TEACHERS}》第六条", origin=BANK, article_id=article_id,
        )
        for i in range(1, n + 1)
    ]


def test_rounds_include_bank_questions_not_asked_recently_first(repository):
    sixth = next(a for a in repository.articles(law_ids=repository.law_ids([TEACHERS])) if a.number.label == "第六条")
    ids = repository.save_questions(bank(20, sixth.id))
    first = ensure_round(repository, study_list(repository), clock_at(WEDNESDAY), random.Random(11))
    from_bank = [qid for qid in first.question_ids if qid in ids]
    assert len(from_bank) == 10  # half the pool of 4 × 5
    second = ensure_round(repository, study_list(repository), clock_at(WEDNESDAY + timedelta(days=7)), random.Random(12))
    again = [qid for qid in second.question_ids if qid in ids]
    assert len(again) == 10 and not set(again) & set(from_bank)
    # No generated question asks about the article the round's bank questions already ask about.
    for round_ in (first, second):
        generated = [repository.question(qid) for qid in round_.question_ids if qid not in ids]
        assert len(generated) == 10 and all(q.article_id != sixth.id for q in generated)


# --- attempts, answers and scores -------------------------------------------------------


def test_start_resumes_then_a_finished_attempt_starts_the_next(repository):
    round_ = ensure_round(repository, study_list(repository), clock_at(WEDNESDAY), random.Random(1))
    member = member_id(repository)
    attempt = start_or_resume(repository, round_, member, WEDNESDAY)
    assert (attempt.number, attempt.total, attempt.next_position) == (1, 5, 0)
    answer_question(repository, attempt, 0, right(repository, attempt, 0), WEDNESDAY)
    resumed = start_or_resume(repository, round_, member, WEDNESDAY + timedelta(hours=1))
    assert resumed.id == attempt.id and resumed.answered == {0: right(repository, attempt, 0)}
    assert resumed.next_position == 1
    for position in range(1, 5):
        answer_question(repository, resumed, position, right(repository, attempt, position), WEDNESDAY)
    assert resumed.next_position is None
    finish(repository, resumed, round_, WEDNESDAY)
    retake = start_or_resume(repository, round_, member, WEDNESDAY + timedelta(hours=2))
    assert retake.id != attempt.id and retake.number == 2 and retake.answered == {}
    # Another member's attempts are their own.
    assert start_or_resume(repository, round_, member_id(repository, "T002"), WEDNESDAY).number == 1


def test_answering_twice_counts_once_and_every_answer_has_its_time(repository):
    round_ = ensure_round(repository, study_list(repository), clock_at(WEDNESDAY), random.Random(1))
    attempt = start_or_resume(repository, round_, member_id(repository), WEDNESDAY)
    stale = repository.attempt(attempt.id)  # e.g. a second handler that loaded the attempt earlier
    at = WEDNESDAY + timedelta(minutes=3)
    assert answer_question(repository, attempt, 0, right(repository, attempt, 0), at) is True
    assert answer_question(repository, attempt, 0, wrong(repository, attempt, 0), at) is True
    assert answer_question(repository, stale, 0, wrong(repository, attempt, 0), at) is True
    assert stale.answered[0] == right(repository, attempt, 0)
    rows = repository.db.execute("SELECT position, chosen, correct, answered_at FROM answers").fetchall()
    assert rows == [(0, json.dumps(right(repository, attempt, 0)), 1, at.astimezone(timezone.utc).isoformat())]
    with pytest.raises(QuizError):
        answer_question(repository, attempt, 5, [0], at)  # no sixth question
    with pytest.raises(QuizError):
        answer_question(repository, attempt, 1, [9], at)  # no such option
    with pytest.raises(QuizError):
        answer_question(repository, attempt, 1, [], at)


@pytest.mark.parametrize(("n_right", "passed"), [(5, True), (4, True), (3, False), (0, False)])
def test_score_and_pass_mark(repository, n_right, passed):
    round_ = ensure_round(repository, study_list(repository), clock_at(WEDNESDAY), random.Random(1))
    result = take(repository, round_, member_id(repository), n_right, WEDNESDAY)
    assert (result.attempt.correct, result.attempt.score, result.attempt.passed) == (n_right, n_right / 5, passed)
    [stored] = repository.attempts(round_.id, member_id(repository))
    assert (stored.correct, stored.score, stored.passed, stored.finished_at) == (
        n_right, n_right / 5, passed, WEDNESDAY.astimezone(timezone.utc).isoformat()
    )
    assert repository.passed_members(round_.id) == ({member_id(repository)} if passed else set())


def test_the_best_attempt_counts(repository):
    round_ = ensure_round(repository, study_list(repository), clock_at(WEDNESDAY), random.Random(1))
    member = member_id(repository)
    assert take(repository, round_, member, 3, WEDNESDAY).best_score == 0.6
    assert take(repository, round_, member, 5, WEDNESDAY).best_score == 1.0
    third = take(repository, round_, member, 2, WEDNESDAY)
    assert third.attempt.number == 3 and third.attempt.score == 0.4 and third.best_score == 1.0
    assert repository.best_score(round_.id, member) == 1.0
    assert repository.passed_members(round_.id) == {member}


def test_finishing_twice_keeps_the_first_score(repository):
    round_ = ensure_round(repository, study_list(repository), clock_at(WEDNESDAY), random.Random(1))
    result = take(repository, round_, member_id(repository), 4, WEDNESDAY)
    again = finish(repository, result.attempt, round_, WEDNESDAY + timedelta(hours=1))
    assert again.attempt.finished_at == WEDNESDAY.astimezone(timezone.utc).isoformat()
    assert again.attempt.correct == 4 and again.attempt.passed is True


# --- the schedule -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"push_weekday": 0}, M.SCHEDULE_BAD_DAY.format(field="push_weekday", value=0)),
        ({"reminder_weekday": 8}, M.SCHEDULE_BAD_DAY.format(field="reminder_weekday", value=8)),
        ({"push_time": "25:00"}, M.SCHEDULE_BAD_TIME.format(field="push_time", value="25:00")),
        ({"deadline_time": "9:00"}, M.SCHEDULE_BAD_TIME.format(field="deadline_time", value="9:00")),
        ({"questions": 0}, M.SCHEDULE_BAD_COUNT.format(value=0)),
        ({"questions": 21}, M.SCHEDULE_BAD_COUNT.format(value=21)),
        ({"pass_mark": 0}, M.SCHEDULE_BAD_PASS.format(value=0)),
        ({"pass_mark": 80}, M.SCHEDULE_BAD_PASS.format(value=80)),
        ({"push_weekday": 7, "push_time": "23:00"}, M.SCHEDULE_DEADLINE_BEFORE_PUSH),
        ({"deadline_weekday": 1, "deadline_time": "08:00"}, M.SCHEDULE_DEADLINE_BEFORE_PUSH),
        ({"reminder_weekday": 1, "reminder_time": "08:00"}, M.SCHEDULE_REMINDER_OUTSIDE),
        ({"reminder_weekday": 7, "reminder_time": "23:00"}, M.SCHEDULE_REMINDER_OUTSIDE),
    ],
)
def test_schedule_validation(repository, changes, message):
    with pytest.raises(QuizError) as error:
        save_schedule(repository, Schedule(**changes))
    assert str(error.value) == message
    assert repository.get_setting("quiz") is None


def test_schedule_round_trips_through_the_database(repository):
    assert load_schedule(repository) == Schedule()  # the defaults: Monday 09:00, Sunday 22:00, 5, 80%
    schedule = Schedule(push_weekday=2, push_time="07:45", questions=8, pass_mark=0.75, digest_enabled=False)
    save_schedule(repository, schedule)
    assert load_schedule(repository) == schedule
    assert Schedule.from_json(schedule.to_json()) == schedule
    # Keys a later version dropped are ignored; missing ones take their defaults.
    assert Schedule.from_json('{"questions": 7, "retired": true}') == Schedule(questions=7)
    assert Schedule.from_json(None) == Schedule()


def test_schedule_moments_fall_in_the_week_of_a_day():
    schedule = Schedule()
    assert schedule.at("push", date(2030, 3, 9), TZ) == local(MONDAY, 9)
    assert schedule.at("deadline", date(2030, 3, 4), TZ) == local(MONDAY + timedelta(days=6), 22)
    assert schedule.at("reminder", date(2030, 3, 10), TZ) == local(MONDAY + timedelta(days=4), 16)


def test_bank_questions_count_for_their_laws_whatever_the_citation_says(repository):
    seventh = next(a for a in repository.articles(law_ids=repository.law_ids([TEACHERS])) if a.number.label == "第七条")
    short, full = bank(2, seventh.id)
    short.citation, full.citation = "教师法第七条", "《中华人民共和国教师法》第七条"
    repository.save_questions([short, full])
    assert len(repository.bank_questions([TEACHERS])) == 2
    assert repository.bank_questions([COMPULSORY]) == []


def test_no_round_is_created_after_the_weeks_deadline(repository):
    sunday_night = local(MONDAY + timedelta(days=6), 22, 30)
    with pytest.raises(QuizError, match="截止"):
        ensure_round(repository, study_list(repository), clock_at(sunday_night), random.Random(1))
    assert repository.round_for_week(iso_week(MONDAY)) is None


# --- fair attempts: every attempt draws anew --------------------------------------------------


def attempt_ids(repository, attempt) -> list[int]:
    return [q.id for q in repository.attempt_questions(attempt.id)]


def test_a_retake_is_a_new_test_drawn_from_the_pool(repository):
    round_ = ensure_round(repository, study_list(repository), clock_at(WEDNESDAY), random.Random(1))
    assert round_.questions == 5 and len(round_.question_ids) == 20
    member = member_id(repository)
    previous: list[int] = []
    for seed in range(4):
        attempt = start_or_resume(repository, round_, member, WEDNESDAY, random.Random(seed))
        ids = attempt_ids(repository, attempt)
        assert len(ids) == 5 and set(ids) <= set(round_.question_ids)
        assert not set(ids) & set(previous)  # the pool has enough: no question of the last attempt again
        for position in range(5):
            answer_question(repository, attempt, position, right(repository, attempt, position), WEDNESDAY)
        assert finish(repository, attempt, round_, WEDNESDAY).attempt.passed
        previous = ids
    # Seeded, the draw is the same every time: another member with seed 0 gets the first attempt's questions.
    other = start_or_resume(repository, round_, member_id(repository, "T002"), WEDNESDAY, random.Random(0))
    first = repository.attempts(round_.id, member)[0]
    assert attempt_ids(repository, other) == attempt_ids(repository, first)


def test_options_are_shuffled_per_attempt_and_answers_are_scored_as_shown(repository):
    round_ = ensure_round(repository, study_list(repository), clock_at(WEDNESDAY), random.Random(1))
    written = {q.id: q for q in repository.pool(round_.id)}
    member = member_id(repository)
    moved = 0
    for seed in range(6):
        attempt = start_or_resume(repository, round_, member, WEDNESDAY, random.Random(seed))
        for position, shown in enumerate(repository.attempt_questions(attempt.id)):
            original = written[shown.id]
            assert sorted(shown.options) == sorted(original.options)
            assert [shown.options[i] for i in shown.answer] == [original.options[i] for i in original.answer]
            moved += shown.options != original.options
            if shown.kind == "truefalse":
                assert shown.options == original.options  # 正确/错误 stay in place
            answer_question(repository, attempt, position, right(repository, attempt, position), WEDNESDAY)
        assert finish(repository, attempt, round_, WEDNESDAY).attempt.correct == 5
    assert moved > 5


def test_a_bank_question_marked_fixed_is_asked_as_written(repository):
    fixed = QuizQuestion(
        kind="single", stem="以下说法正确的是（　　）。", options=["甲", "乙", "以上都对", "以上都不对"], answer=[2],
        explanation="题库。", origin=BANK, fixed=True,
    )
    [question_id] = repository.save_questions([fixed])
    assert repository.question(question_id).fixed
    round_ = repository.create_round("T-Q1", "2030-W10", "2030-03-03T16:00:00+00:00", "2030-03-10T14:00:00+00:00",
                                     0.8, [question_id], 1)
    for seed in range(5):
        attempt = start_or_resume(repository, round_, member_id(repository), WEDNESDAY, random.Random(seed))
        [shown] = repository.attempt_questions(attempt.id)
        assert shown.options == fixed.options and shown.answer == [2]
        answer_question(repository, attempt, 0, [2], WEDNESDAY)
        finish(repository, attempt, round_, WEDNESDAY)
