"""The chat page, browsing the study list and the member's own record: the one conversation, rendered as HTML.

Questions, citations and button presses go through bot.conversation.Conversation exactly as on
Telegram and the console (Caller channel "web"), with Telegram's HTML formatter: the same quotes,
citations, 可能相关 and abstentions, logged the same way. Only the edge differs: buttons become
links (reading) or one-button forms (anything that changes something), and commands that open a
page of their own on the web (/quiz, /stats …) go to that page.
"""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from bot.reply import Reply
from bot.web.pages import COMMAND_PAGES, READ_ACTIONS, Visit, Web, reply_view
from knowledge import messages as M

MAX_TEXT = 2000  # the conversation keeps 500 characters of a question; the rest is never needed


def chat_page(visit: Visit, question: str = "", reply: Reply | None = None) -> Response:
    """Show the question box, and the answer to the question just asked."""
    return visit.render(
        "chat.html", title=M.WEB_CHAT_TITLE, question=question, view=reply_view(reply) if reply else None,
    )


def ask(visit: Visit) -> Response:
    """Answer what was typed: a question, a citation, or a /command, as the chat does."""
    text = visit.field("q")[:MAX_TEXT]
    if not text:
        return chat_page(visit)
    conversation, caller = visit.web.conversation, visit.caller
    if text.startswith("/"):
        name, _, args = text[1:].partition(" ")
        name = name.lower()
        if name in COMMAND_PAGES:
            return visit.redirect(COMMAND_PAGES[name])
        return chat_page(visit, text, conversation.handle_command(caller, name, args))
    return chat_page(visit, text, conversation.handle_text(caller, text))


def action(visit: Visit) -> Response:
    """Run a button that changes something (answer buttons of a quiz sent in the chat)."""
    return chat_page(visit, reply=visit.web.conversation.handle_action(visit.caller, visit.field("a")))


def browse(visit: Visit) -> Response:
    """Show the current study list, or one level below it (law, chapter, article), by a read-only action."""
    data = visit.request.query_params.get("a", "")
    conversation = visit.web.conversation
    if not data:
        reply = conversation.study_list(visit.caller)
    elif data.split(":", 1)[0] in READ_ACTIONS:
        reply = conversation.handle_action(visit.caller, data)
    else:
        reply = conversation.say(M.UNKNOWN_ACTION)
    return visit.render("browse.html", title=M.WEB_BROWSE_TITLE, view=reply_view(reply))


def me(visit: Visit) -> Response:
    """Show the member's own study record for this year."""
    reply = visit.web.conversation.me(visit.caller)
    return visit.render("record.html", title=M.WEB_ME_TITLE, view=reply_view(reply))


def routes(web: Web) -> list[Route]:
    """Return the chat, browsing and own-record routes."""
    return [
        Route("/chat", web.page(chat_page), methods=["GET"]),
        Route("/chat", web.page(ask), methods=["POST"]),
        Route("/chat/action", web.page(action), methods=["POST"]),
        Route("/browse", web.page(browse), methods=["GET"]),
        Route("/me", web.page(me), methods=["GET"]),
    ]
