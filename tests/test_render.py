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


def tags_balanced(text: str) -> bool:
    """Tell whether every tag is closed, in order (what Telegram's HTML parser insists on)."""
    stack = []
    for tag in re.findall(r"<[^>]*>", text):
        name = re.match(r"</?\s*([a-z-]+)", tag).group(1)
        if tag.startswith("</"):
            if not stack or stack.pop() != name:
                return False
        else:
            stack.append(name)
    return not stack


def test_a_paragraph_longer_than_a_message_is_cut_with_its_tags_closed_and_reopened():
    paragraph = "学" * 7700  # one line, no break to cut at
    messages = Reply(parts=[Html().quote(Html().esc(paragraph))]).messages()
    assert len(messages) == 2 and all(tags_balanced(m) and len(m) <= 4096 for m in messages)
    assert all(m.startswith("<blockquote>") and m.endswith("</blockquote>") for m in messages)
    assert "".join(re.sub(r"<[^>]+>", "", m) for m in messages) == paragraph


def test_entities_are_never_cut_in_half():
    messages = Reply(parts=[Html().esc("&" * 1200)]).messages()
    assert len(messages) == 2 and all(re.fullmatch(r"(&amp;)+", m) for m in messages)
    assert sum(m.count("&amp;") for m in messages) == 1200


def test_limits_count_utf16_units_and_empty_parts_are_not_sent():
    messages = Reply(parts=["", "  ", "😀" * 3000]).messages()  # an emoji is two units to Telegram
    assert [len(m.encode("utf-16-le")) // 2 for m in messages] == [4096, 1904]
