"""The one quiz flow as plain functions on an in-memory store: whose answer counts, when, and what it does."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from knowledge import messages as M
from knowledge.clock import Clock
from knowledge.members import RosterRow
from knowledge.models import Focus, StudyList, StudyListLaw
from knowledge.quizflow import NotYourQuiz, QuizFlow, QuizStale
from knowledge.quizzes import QuizQuestion
from knowledge.rounds import QuizError, Schedule, save_schedule
from knowledge.store import Repository

SHANGHAI = ZoneInfo("Asia/Shanghai")
WEDNESDAY = datetime(2030, 3, 6, 12, 0, tzinfo=SHANGHAI)
TEACHERS = "中华人民共和国教师法"
MULTIPLE = QuizQuestion(
    kind="multiple", stem="教师应当履行的义务有（　　）。", options=["遵守宪法、法律和职业道德", "为人师表", "体罚学生"],
    answer=[0, 1], explanation="教师法第八条。", origin="bank",
)


@pytest.fixture
def flow(shared_laws):
    clock = Clock("Asia/Shanghai", WEDNESDAY)
    repository = Repository(clock=clock)
    repository.import_laws([p.law for p in shared_laws if p.law.title == TEACHERS])
    study_list = StudyList("T", "测试清单", "2000-01-01", "2099-12-31", [StudyListLaw(TEACHERS, Focus())])
    repository.save_study_lists([study_list])
    repository.import_roster([
        RosterRow(2, "T001", "张老师", "城关一小", "teacher"), RosterRow(3, "T002", "钱老师", "城关一小", "teacher"),
    ])
    save_schedule(repository, Schedule(questions=3))
    repository.save_question(MULTIPLE)  # the bank's one question: every round of three takes it
    yield QuizFlow(repository, clock, lambda: study_list, random.Random(7))
    repository.close()


def member(flow: QuizFlow, staff_no: str):
    return flow.repository.find_members(staff_no)[0]


def choice(step, good: bool) -> list[int]:
    question = step.question
    return question.answer if good else [next(i for i in range(len(question.options)) if i not in question.answer)]


def test_answers_move_through_the_attempt_to_a_result(flow):
    teacher = member(flow, "T001")
    step = flow.begin(teacher)
    assert step.opening and step.position == 0 and step.attempt.total == 3
    outcomes = []
    while step.result is None:
        answered = flow.answer(teacher, step.attempt.id, step.position, choice(step, good=step.position != 1))
        outcomes.append(answered.correct)
        step = answered.step
    assert outcomes == [True, False, True]
    assert step.result.attempt.correct == 2 and step.result.attempt.passed is False
    retake = flow.begin(teacher)
    assert retake.attempt.number == 2 and retake.opening


def test_someone_elses_attempt_or_a_stale_question_counts_for_nothing(flow):
    teacher, other = member(flow, "T001"), member(flow, "T002")
    step = flow.begin(teacher)
    with pytest.raises(NotYourQuiz):
        flow.answer(other, step.attempt.id, 0, [0])
    with pytest.raises(NotYourQuiz):
        flow.answer(teacher, step.attempt.id + 99, 0, [0])
    with pytest.raises(NotYourQuiz):
        flow.answer(teacher, step.attempt.id, 0, [9])  # an option the question does not have
    flow.answer(teacher, step.attempt.id, 0, [0])
    with pytest.raises(QuizStale):
        flow.answer(teacher, step.attempt.id, 0, [1])  # answered already: the first answer counts
    assert len(flow.repository.attempt(step.attempt.id).answered) == 1


def test_after_the_deadline_nothing_counts(flow):
    teacher = member(flow, "T001")
    step = flow.begin(teacher)
    flow.clock.pin(WEDNESDAY + timedelta(days=4, hours=10, minutes=1))  # Sunday 22:01
    with pytest.raises(QuizStale):
        flow.answer(teacher, step.attempt.id, 0, [0])
    with pytest.raises(QuizError, match="截止"):
        flow.begin(teacher)


def test_a_multiple_choice_question_is_ticked_then_submitted(flow):
    teacher = member(flow, "T001")
    step = flow.begin(teacher)
    while step.result is not None or step.question.kind != "multiple":  # retake until the bank's one comes up
        step = flow.begin(teacher) if step.result else flow.answer(
            teacher, step.attempt.id, step.position, choice(step, True)
        ).step
    with pytest.raises(QuizStale):
        flow.toggle(teacher, step.attempt.id, step.position, 0)  # never shown: nothing to tick on
    flow.presented(step)
    with pytest.raises(QuizError, match=M.QUIZ_NOTHING_CHOSEN):
        flow.submit(teacher, step.attempt.id, step.position)
    wrong = next(i for i in range(3) if i not in step.question.answer)  # options are shuffled per attempt
    for option in (*step.question.answer, wrong, wrong):
        ticked = flow.toggle(teacher, step.attempt.id, step.position, option)
    assert ticked.ticked == sorted(step.question.answer)
    with pytest.raises(NotYourQuiz):
        flow.toggle(member(flow, "T002"), step.attempt.id, step.position, 0)
    assert flow.submit(teacher, step.attempt.id, step.position).correct


def test_only_roster_members_take_quizzes(flow):
    with pytest.raises(QuizError, match="测验记录需要对应名册中的人员"):
        flow.begin(None)


def test_a_poll_answer_counts_only_for_the_member_it_was_sent_to(flow):
    teacher = member(flow, "T001")
    for staff_no, account in (("T001", "1001"), ("T002", "1002")):
        who = flow.repository.find_members(staff_no)[0]
        flow.repository.bind_account(who.id, "telegram", account, account)
    step = flow.begin(teacher)
    flow.presented(step, address=1001, message_id=5, poll_id="poll-1")
    with pytest.raises(NotYourQuiz):
        flow.poll_answer("poll-1", flow.repository.member_by_account("telegram", "1002"), [0])  # a forwarded poll answered by someone else
    with pytest.raises(NotYourQuiz):
        flow.poll_answer("no-such-poll", flow.repository.member_by_account("telegram", "1001"), [0])
    answered = flow.poll_answer("poll-1", flow.repository.member_by_account("telegram", "1001"), choice(step, True))
    assert answered.correct and answered.step.position == 1
    assert flow.poll_address("poll-1") == "1001"
    with pytest.raises(QuizStale):
        flow.poll_answer("poll-1", flow.repository.member_by_account("telegram", "1001"), [0])
