"""Rendering: HTML escaping, quotes with highlights, and messages kept under Telegram's limit."""

from __future__ import annotations

import re

from bot.render import quote_article
from bot.reply import Html, Plain, Reply
from knowledge.models import Article
from knowledge.numerals import ArticleNo


def long_article() -> Article:
    lines = [f"（{n}）第{n}项规定，学校应当 <保障> 学生 & 教师的合法权益。" * 12 for n in range(1, 30)]
    return Article(ArticleNo(1), "\n".join(["总则如下："] + lines), ("第一章 总则",), "中华人民共和国示例法", 1)


def balanced(text: str) -> bool:
    return text.count("<blockquote>") == text.count("</blockquote>") and text.count("<b>") == text.count("</b>")


def test_a_long_article_is_quoted_in_pieces_that_each_fit_a_message():
    article = long_article()
    parts = quote_article(Html(), article, marks=["总则如下："])
    assert len(parts) > 1
    messages = Reply(parts=parts).messages()
    assert all(len(m) <= 4096 and balanced(m) for m in messages)
    text = "".join(re.sub(r"<[^>]+>", "", m) for m in messages)
    assert "&lt;保障&gt;" in text and "<保障>" not in "".join(messages)
    assert "<b><u>总则如下：</u></b>" in messages[0]


def test_plain_parts_longer_than_a_message_are_split_at_line_breaks():
    reply = Reply(parts=["\n".join(f"第{n}行：" + "字" * 80 for n in range(200))])
    messages = reply.messages()
    assert len(messages) > 1 and all(len(m) <= 4096 for m in messages)
    assert "\n".join(messages) == reply.parts[0]


def test_plain_formatting_for_the_console():
    parts = quote_article(Plain(), long_article(), marks=["总则如下："])
    assert parts[0].startswith("  │ 【总则如下：】")
