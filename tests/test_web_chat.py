"""The chat, browsing and quiz pages: the same answers as the chat, the same quiz flow as Telegram."""

from __future__ import annotations

import html
import re

import pytest
from markupsafe import Markup

from bot.render import answer_reply
from bot.reply import Html
from knowledge import messages as M
from knowledge.quizflow import QuizStale
from knowledge.quizzes import QuizQuestion
from knowledge.rounds import Schedule, save_schedule
from tests.webharness import Browser, web_services

MULTIPLE = QuizQuestion(
    kind="multiple", stem="教师应当履行的义务有（　　）。",
    options=["遵守宪法、法律和职业道德", "为人师表", "体罚学生"],
    answer=[0, 1], explanation="教师法第八条。", origin="bank",
)


@pytest.fixture
def services(tmp_path, shared):
    services = web_services(tmp_path, shared)
    yield services
    services.close()


@pytest.fixture
def teacher(services):
    browser = Browser(services)
    browser.sign_in("T001")
    return browser


def parts_of(page: str) -> list[str]:
    return re.findall(r'<div class="part">(.*?)</div>', page, flags=re.S)


@pytest.mark.parametrize("question", [
    "教师法第八条",  # a citation: the article
    "教师法第八条和义务教育法第二十九条是怎么规定的？",  # citations inside a question: an answer quoting both
    "教师法第九十九条",  # an article that does not exist: said precisely
    "学校能不能开除学生？",  # no index: the honest notice
    "hello",  # not Chinese
])
def test_the_chat_page_says_exactly_what_the_chat_says(teacher, services, question):
    page = teacher.post("/chat", {"q": question}).text
    shown = parts_of(page)
    if question.startswith("教师法第") and "和" not in question:
        conversation = teacher.app.state.web.conversation
        expected = conversation.handle_text(conversation_caller(conversation, services), question).parts
    else:
        expected = answer_reply(Html(), services.ask(question)).parts
    assert shown == [str(Markup(part)) for part in expected]
    assert services.journal.flush(10)  # the log is written behind the reply
    logged = services.repository.question_log()[0]
    assert (logged.channel, logged.question, logged.member_id) == ("web", question, teacher_id(services))


def conversation_caller(conversation, services):
    from bot.conversation import Caller
    from knowledge.access import Actor

    return Caller(Actor.of(services.repository.find_members("T001")[0]), channel="web")


def teacher_id(services) -> int:
    return services.repository.find_members("T001")[0].id


def test_an_answer_quotes_and_cites_with_buttons_to_read_on(teacher):
    page = teacher.post("/chat", {"q": "教师法第八条和义务教育法第二十九条是怎么规定的？"}).text
    assert "<b>《教师法》第八条</b>" in page and "<blockquote>" in page and "《义务教育法》第二十九条" in page
    assert M.ANSWER_DISCLAIMER in page
    link = re.search(r'href="(/browse\?a=art%3A\d+)"', page).group(1)
    article = teacher.page(html.unescape(link))
    assert "教师应当履行下列义务" in article or "教师在教育教学中" in article
    assert "<script" not in page


def test_user_text_is_escaped(teacher):
    page = teacher.post("/chat", {"q": "<script>alert(1)</script>教师法第八条有什么"}).text
    assert "<script>alert" not in page and "&lt;script&gt;" in page


def test_commands_that_are_pages_open_the_page(teacher):
    assert teacher.post("/chat", {"q": "/quiz"}).headers["location"] == "/quiz"
    assert teacher.post("/chat", {"q": "/stats 本周"}).headers["location"] == "/dashboard"
    assert "学法助手使用说明" in teacher.post("/chat", {"q": "/help"}).text


def test_browsing_goes_from_the_study_list_down_to_an_article(teacher):
    top = teacher.page("/browse")
    assert "测试清单" in top and "《教师法》" in top
    law = teacher.page(html.unescape(re.search(r'href="(/browse\?a=law[^"]+)"', top).group(1)))
    assert "请选择章节" in law
    chapter = teacher.page(html.unescape(re.findall(r'href="(/browse\?a=nav[^"]+)"', law)[1]))
    article = teacher.page(html.unescape(re.search(r'href="(/browse\?a=art[^"]+)"', chapter).group(1)))
    assert "<blockquote>" in article
    assert "该按钮已失效" in teacher.page("/browse?a=qa:1:0:0")  # only reading actions by link


def test_my_record_is_my_own(teacher):
    page = teacher.page("/me")
    assert "张伟（T001，城关一小，教师）" in page and "13800000001" in page


def answer_all(browser: Browser, good: bool = True) -> str:
    """Answer every question of the open attempt through the web forms; return the last page."""
    page = browser.post("/quiz/start").text
    flow = browser.services.quizflow
    while 'action="/quiz/answer"' in page:
        attempt = int(re.search(r'name="attempt" value="(\d+)"', page).group(1))
        position = int(re.search(r'name="position" value="(\d+)"', page).group(1))
        question = flow.repository.attempt_question(attempt, position)
        chosen = question.answer if good else [next(i for i in range(len(question.options))
                                                    if i not in question.answer)]
        page = browser.post("/quiz/answer", {"attempt": str(attempt), "position": str(position),
                                             "option": [str(i) for i in chosen]}).text
    return page


def test_the_quiz_is_taken_to_the_end_with_retakes(teacher, services):
    status = teacher.page("/quiz")
    assert M.WEB_QUIZ_START in status and services.repository.rounds() == []  # looking creates nothing
    failed = answer_all(teacher, good=False)
    assert "测验完成：答对 0/5 题，得分 0" in failed and M.QUIZ_RETAKE in failed
    passed = answer_all(teacher, good=True)
    assert "测验完成：答对 5/5 题，得分 100" in passed and "恭喜通过" in passed
    standing = teacher.page("/quiz")
    assert M.WEB_QUIZ_HISTORY.format(attempts=2, best=100) in standing and M.WEB_QUIZ_PASSED_MARK in standing
    [round_] = services.repository.rounds()
    member = services.repository.find_members("T001")[0]
    assert [a.score for a in services.repository.attempts(round_.id, member.id)] == [0.0, 1.0]
    assert services.repository.best_score(round_.id, member.id) == 1.0


def test_an_attempt_started_on_telegram_continues_on_the_web_and_counts_once(teacher, services):
    flow, repository = services.quizflow, services.repository
    member = repository.find_members("T001")[0]
    repository.bind_account(member.id, "telegram", "9001", "9001")
    # Telegram: /quiz sends the first question as a poll, the member answers it there.
    step = flow.begin(member)
    flow.presented(step, address=9001, message_id=1, poll_id="poll-0")
    answered = flow.poll_answer("poll-0", flow.repository.member_by_account("telegram", "9001"), step.question.answer)
    flow.presented(answered.step, address=9001, message_id=2, poll_id="poll-1")
    # The web shows the same attempt at its second question; an answer there makes Telegram's poll stale.
    page = teacher.page("/quiz")
    assert f'name="attempt" value="{step.attempt.id}"' in page and 'name="position" value="1"' in page
    second = answered.step.question
    after = teacher.post("/quiz/answer", {"attempt": str(step.attempt.id), "position": "1",
                                          "option": [str(i) for i in second.answer]}).text
    assert M.QUIZ_RIGHT in after and 'name="position" value="2"' in after
    with pytest.raises(QuizStale):
        flow.poll_answer("poll-1", flow.repository.member_by_account("telegram", "9001"), [0])
    assert repository.attempt(step.attempt.id).answered[1] == sorted(second.answer)
    # And the other way round: the web's question answered on Telegram is stale on the web.
    third = flow.begin(member)
    flow.presented(third, address=9001, message_id=3, poll_id="poll-2")
    flow.poll_answer("poll-2", flow.repository.member_by_account("telegram", "9001"), third.question.answer)
    stale = teacher.post("/quiz/answer", {"attempt": str(step.attempt.id), "position": "2", "option": ["0"]})
    assert stale.status_code == 409 and M.QUIZ_STALE in stale.text
    assert len(repository.attempts(third.round.id, member.id)) == 1


def test_a_multiple_choice_question_sends_its_ticks_at_once(teacher, services):
    repository = services.repository
    save_schedule(repository, Schedule(questions=2))  # half a round from the bank: its one question
    repository.save_question(MULTIPLE)
    page = teacher.post("/quiz/start").text
    for _ in range(40):  # the question is in the round's pool; answer on (and retake) until it is drawn
        if 'type="checkbox"' in page:
            break
        if 'action="/quiz/answer"' not in page:
            page = teacher.post("/quiz/start").text
            continue
        attempt = re.search(r'name="attempt" value="(\d+)"', page).group(1)
        position = re.search(r'name="position" value="(\d+)"', page).group(1)
        page = teacher.post("/quiz/answer", {"attempt": attempt, "position": position, "option": "0"}).text
    assert M.WEB_QUIZ_CHOOSE_ALL in page and "为人师表" in page
    attempt = int(re.search(r'name="attempt" value="(\d+)"', page).group(1))
    position = int(re.search(r'name="position" value="(\d+)"', page).group(1))
    # Shown on the web: the sent-question row exists, as for Telegram's buttons and the console.
    assert repository.sent_question(attempt, position) is not None
    right = repository.attempt_question(attempt, position).answer  # as shown: options are shuffled per attempt
    after = teacher.post("/quiz/answer", {"attempt": str(attempt), "position": str(position),
                                          "option": [str(i) for i in reversed(right)]}).text
    assert M.QUIZ_RIGHT in after
    assert repository.attempt(attempt).answered[position] == sorted(right)


def test_someone_elses_attempt_or_nothing_ticked_counts_for_nothing(teacher, services):
    page = teacher.post("/quiz/start").text
    attempt = re.search(r'name="attempt" value="(\d+)"', page).group(1)
    other = Browser(services, teacher.app)
    other.sign_in("T002")
    forged = other.post("/quiz/answer", {"attempt": attempt, "position": "0", "option": "0"})
    assert forged.status_code == 400 and M.UNKNOWN_ACTION in forged.text
    empty = teacher.post("/quiz/answer", {"attempt": attempt, "position": "0"})
    assert empty.status_code == 400 and M.QUIZ_NOTHING_CHOSEN in empty.text and 'value="0"' in empty.text
    assert services.repository.attempt(int(attempt)).answered == {}


def test_feedback_is_the_chat_feedback(teacher, services):
    page = teacher.post("/quiz/start").text
    attempt = int(re.search(r'name="attempt" value="(\d+)"', page).group(1))
    question = services.repository.attempt_question(attempt, 0)
    after = teacher.post("/quiz/answer", {"attempt": str(attempt), "position": "0",
                                          "option": [str(i) for i in question.answer]}).text
    assert html.escape(M.QUIZ_RIGHT, quote=False) in after and html.escape(question.explanation, quote=False) in after
