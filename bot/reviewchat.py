"""The reviewer queue in the conversation, for every channel: reviewed answers first, feedback buttons,
questions sent on to the 法治副校长, and /review and /answer for reviewers' short answers in the chat."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from bot.render import answer_reply, feedback_buttons, reviewed_reply
from bot.reply import Reply
from knowledge import messages as M
from knowledge import review
from knowledge.access import AccessDenied
from knowledge.errors import XuefaError

if TYPE_CHECKING:
    from bot.conversation import Caller, Conversation


def new_token() -> str:
    """Return a short random name for one reply (its feedback buttons carry it; 64 bytes fit Telegram)."""
    return secrets.token_urlsafe(9)


def question(conversation: Conversation, caller: Caller, text: str) -> Reply:
    """Answer a question: a reviewed answer close enough first, else the articles; queue what xuefa could not."""
    services, fmt = conversation.services, conversation.fmt
    member = caller.actor.member if caller.actor else None
    member_id = member.id if member else None
    token = new_token()
    match = services.reviewed_match(text)
    if match is not None:
        pair = match.pair
        articles = review.cited_articles(services.repository, pair, services.catalog)
        services.journal.log_question(member_id, caller.channel, text, "reviewed", articles, token=token,
                                      topic=pair.topic, reviewed_id=pair.id)
        reply = reviewed_reply(fmt, pair.question, pair.answer, articles)
        if member is not None:
            reply.buttons = feedback_buttons(token, queued=False) + reply.buttons
        return reply
    result = services.ask(text)
    topic = review.topic_of(result)
    services.journal.log_question(member_id, caller.channel, text, result.outcome,
                                  [p.article for p in result.passages], token=token, topic=topic)
    reply = answer_reply(fmt, result)
    if member is None or (not result.passages and not result.outside and result.notice):
        return reply  # the operator's console, a refused or empty question: nothing to send on
    reason = review.queue_reason(result)
    if reason is not None:
        repository = services.repository
        services.journal.later(lambda: review.enqueue(repository, member, text, reason, caller.channel, topic))
        reply.parts.insert(max(len(reply.parts) - 1, 0), fmt.bold(M.REVIEW_QUEUED))
    reply.buttons = feedback_buttons(token, queued=reason is not None) + reply.buttons
    return reply


def feedback(conversation: Conversation, caller: Caller, rest: str) -> Reply:
    """Handle 有帮助 (y), 没有解决 (n) and 请法治副校长解答 (a) under a reply."""
    services = conversation.services
    kind, _, token = rest.partition(":")
    member = caller.actor.member if caller.actor else None
    if member is None or kind not in ("y", "n", "a"):
        return conversation.say(M.UNKNOWN_ACTION)
    repository = services.repository
    logged = repository.logged_reply(token)
    if logged is None:  # written behind the reply: it may still be on its way
        services.journal.flush(5)
        logged = repository.logged_reply(token)
    if logged is None or logged.member_id != member.id:
        return conversation.say(M.UNKNOWN_ACTION)
    if kind == "y":
        repository.add_feedback(member.id, token, True, logged.reviewed_id)
        return conversation.say(M.FEEDBACK_THANKS)
    if kind == "n":
        repository.add_feedback(member.id, token, False, logged.reviewed_id)
    services.journal.flush(5)  # an unsure reply's own entry first, so the question is queued once
    already = repository.waiting_entry(member.id, logged.question)
    review.enqueue(repository, member, logged.question, "not_solved" if kind == "n" else "asked",
                   logged.channel, logged.topic)
    if kind == "n":
        return conversation.say(M.FEEDBACK_QUEUED)
    return conversation.say(M.REVIEW_ALREADY_QUEUED if already else M.REVIEW_SENT_ON)


def remark(conversation: Conversation, caller: Caller, text: str) -> Reply | None:
    """Attach 补充：… to the caller's latest waiting question; None when the text is not a remark."""
    prefix = next((p for p in M.FEEDBACK_REMARK_PREFIXES if text.startswith(p)), None)
    member = caller.actor.member if caller.actor else None
    if prefix is None or member is None:
        return None
    services = conversation.services
    services.journal.flush(5)
    saved = review.add_remark(services.repository, member, text[len(prefix):], services.clock)
    return conversation.say(M.FEEDBACK_REMARK_SAVED if saved else M.FEEDBACK_REMARK_NONE)


def review_command(conversation: Conversation, caller: Caller, args: str) -> Reply:
    """/review: the waiting entries the caller may answer, one line each, never who asked."""
    services = conversation.services
    try:
        items = review.waiting(services.repository, caller.actor, args.strip() or None)
    except AccessDenied as exc:
        return conversation.say(str(exc))
    if not items:
        return conversation.say(M.REVIEW_LIST_EMPTY, M.REVIEW_USAGE_CHAT)
    lines = [item.line(services.clock).replace("\t", " · ") for item in items[:30]]
    return conversation.say(M.REVIEW_LIST_HEAD.format(n=len(items)), *lines, M.REVIEW_USAGE_CHAT)


def answer_command(conversation: Conversation, caller: Caller, args: str) -> Reply:
    """/answer ID text: a short answer in the chat, its citations read from the text itself."""
    services = conversation.services
    number, _, text = args.strip().partition(" ")
    if not number.isdigit() or not text.strip():
        return conversation.say(M.REVIEW_USAGE_CHAT)
    cites = review.citations_in(text)
    if not cites:
        return conversation.say(M.REVIEW_CHAT_NO_CITATION)
    try:
        pair = review.answer_entry(services.repository, services.catalog, caller.actor, int(number), text, cites)
    except XuefaError as exc:  # AccessDenied, a citation refused, an entry closed meanwhile
        return conversation.say(str(exc))
    return conversation.say(M.REVIEW_ANSWERED.format(id=number, pair=pair.id, labels="、".join(pair.labels)))
