"""Quizzes on Telegram: questions as quiz polls (single choice, true/false) or answer buttons (multiple choice).

The handlers only present: every rule of what an answer does is the QuizFlow's.
"""

from __future__ import annotations

import asyncio
import html

from telegram import Poll, Update
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.render import article_after_answer, feedback, question_heading, question_reply, quiz_intro, result_reply
from bot.reply import Html, Reply, fit, units
from bot.services import Services
from bot.telegram.send import CHANNEL, answer, caller_of, keyboard, send_reply, services_of, with_retries
from knowledge import messages as M
from knowledge.quizflow import Answered, NotYourQuiz, QuizStale, Step
from knowledge.quizzes import EXPLANATION_MAX, STEM_MAX
from knowledge.rounds import QuizError


def poll_explanation(text: str) -> str:
    """Fit an explanation to a quiz poll: at most 200 characters (UTF-16) and 2 line feeds, as Telegram requires.

    A bank's 解析 may run over several lines; the lines after the second join with spaces.
    """
    lines = text.split("\n")
    text = "\n".join([*lines[:2], " ".join(lines[2:])]) if len(lines) > 3 else text
    return fit(text, EXPLANATION_MAX)


def _say(text: str) -> Reply:
    return Reply(parts=[html.escape(text, quote=False)])


async def present(bot, services: Services, chat_id: int, step: Step) -> None:
    """Send the next question (a quiz poll, or buttons for multiple choice) or the final result."""
    flow = services.quizflow
    if step.result is not None:
        await send_reply(bot, chat_id, result_reply(Html(), step.result))
        return
    question = step.question
    if question.kind == "multiple":
        reply = question_reply(Html(), step)
        message = await with_retries(
            bot.send_message, chat_id=chat_id, text=reply.messages()[0], parse_mode=ParseMode.HTML,
            reply_markup=keyboard(reply),
        )
        await asyncio.to_thread(flow.presented, step, chat_id, message.message_id)
        return
    text = f"{question_heading(step)} {question.stem}"
    message = await with_retries(
        bot.send_poll,
        chat_id=chat_id,
        question=text if units(text) <= STEM_MAX else question.stem,  # never cut the stem to fit the heading in
        options=question.options,
        type=Poll.QUIZ,
        correct_option_ids=question.answer,
        is_anonymous=False,
        explanation=poll_explanation(question.explanation),
    )
    await asyncio.to_thread(flow.presented, step, chat_id, message.message_id, message.poll.id)


async def on_quiz(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Start or resume this week's quiz (/quiz or the 开始答题 button)."""
    caller = caller_of(update, context)
    chat = update.effective_chat
    if update.callback_query:
        await update.callback_query.answer()
    if caller.actor is None:
        await answer(context, chat.id, _say(M.WELCOME_UNKNOWN))
        return
    if chat.type != ChatType.PRIVATE:  # the questions and the result are the member's own
        await answer(context, chat.id, _say(M.QUIZ_PRIVATE_ONLY))
        return
    services = services_of(context)
    try:
        step = await asyncio.to_thread(services.quizflow.begin, caller.actor.member)
    except QuizError as exc:
        await answer(context, chat.id, _say(str(exc)))
        return
    if step.opening:
        await answer(context, chat.id, _say(quiz_intro(step, services.clock)))
    await present(context.bot, services, chat.id, step)


async def on_poll_answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Record a quiz poll answer and send what comes next."""
    vote = update.poll_answer
    if not vote.option_ids or vote.user is None:
        return  # a retracted vote, or a channel's: nothing to record
    services = services_of(context)
    flow = services.quizflow
    try:
        voter = await asyncio.to_thread(services.repository.member_by_account, CHANNEL, str(vote.user.id))
        answered = await asyncio.to_thread(flow.poll_answer, vote.poll_id, voter, list(vote.option_ids))
    except NotYourQuiz:
        return  # a forwarded poll answered by someone else, or an unknown poll: not theirs to answer
    except QuizStale:
        address = await asyncio.to_thread(flow.poll_address, vote.poll_id)
        if address is not None:
            await answer(context, int(address), _say(M.QUIZ_STALE))
        return
    chat_id = int(await asyncio.to_thread(flow.poll_address, vote.poll_id))
    # The poll itself shows right or wrong and the explanation; the article follows, then what comes next.
    article = article_after_answer(Html(), answered)
    if article:
        await answer(context, chat_id, Reply(parts=article))
    await present(context.bot, services, chat_id, answered.step)


async def on_quiz_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Handle answer buttons: qa (choose), qt (toggle a multiple-choice option), qs (submit)."""
    query = update.callback_query
    caller = caller_of(update, context)
    services = services_of(context)
    flow = services.quizflow
    try:
        kind, attempt_id, position, *option = query.data.split(":")
        attempt_id, position, option = int(attempt_id), int(position), [int(x) for x in option]
        if caller.actor is None:
            raise NotYourQuiz()
        member = caller.actor.member
        if kind == "qt":
            step = await asyncio.to_thread(flow.toggle, member, attempt_id, position, option[0] if option else -1)
            await query.answer()
            try:
                await query.edit_message_reply_markup(reply_markup=keyboard(question_reply(Html(), step)))
            except BadRequest:
                pass  # "message is not modified": a double tap
            return
        if kind == "qa":
            answered = await asyncio.to_thread(flow.answer, member, attempt_id, position, option[:1])
        else:
            answered = await asyncio.to_thread(flow.submit, member, attempt_id, position)
    except (ValueError, NotYourQuiz):
        await query.answer(M.UNKNOWN_ACTION)
        return
    except QuizStale:
        await query.answer()
        await answer(context, update.effective_chat.id, _say(M.QUIZ_STALE))
        return
    except QuizError as exc:  # e.g. nothing ticked before submitting
        await query.answer(str(exc), show_alert=True)
        return
    await query.answer()
    await _after_answer(query, context, services, answered)


async def _after_answer(query, context: ContextTypes.DEFAULT_TYPE, services: Services, answered: Answered) -> None:
    """Take the buttons off the answered question, say right or wrong, send what comes next."""
    try:
        await query.edit_message_reply_markup(reply_markup=None)
    except BadRequest:
        pass
    chat_id = query.message.chat.id if query.message else query.from_user.id
    said = _say(feedback(answered))
    said.parts += article_after_answer(Html(), answered)
    await answer(context, chat_id, said)
    await present(context.bot, services, chat_id, answered.step)
