"""The three kinds of reply, said plainly: confident, unsure, outside the study list."""

from __future__ import annotations

from bot.render import answer_reply
from bot.reply import Plain
from knowledge.answers import CONFIDENT, OUTSIDE, UNSURE, Answer, Passage
from knowledge.models import Article
from knowledge.numerals import ArticleNo

TEACHERS = "中华人民共和国教师法"
CRIMINAL = "中华人民共和国刑法"


def article(title, number, text, article_id):
    return Article(ArticleNo(number), text, ("第一章 总则",), title, article_id)


def text_of(reply):
    return "\n\n".join(reply.parts)


def test_a_confident_reply_quotes_the_article_as_the_answer():
    passage = Passage(article(TEACHERS, 6, "每年九月十日为教师节。", 1), 1.2, ["每年九月十日为教师节。"])
    reply = answer_reply(Plain(), Answer("教师节是哪天", [passage], kind=CONFIDENT))
    text = text_of(reply)
    assert "以下条文与您的问题相关" in text and "《教师法》第六条" in text and "可能相关" not in text
    assert "【每年九月十日为教师节。】" in text  # quoted in full, the matching sentence marked


def test_an_unsure_reply_says_the_articles_are_not_the_answer_and_names_the_matched_terms():
    passage = Passage(article(TEACHERS, 26, "中小学教师享受教龄津贴。", 2), 0.5, ["中小学教师享受教龄津贴。"])
    answer = Answer("教龄津贴每月多少钱", [passage], abstained=True, kind=UNSURE, matched_terms=["教龄津贴"])
    text = text_of(answer_reply(Plain(), answer))
    assert "可能相关，并不是对您问题的回答" in text
    assert "与问题相符的关键词：教龄津贴" in text
    assert "以下条文与您的问题相关" not in text


def test_an_outside_reply_says_the_study_list_does_not_cover_it_and_cites_the_store():
    drunk = Passage(article(CRIMINAL, 133, "醉酒驾驶机动车的，处拘役，并处罚金。", 3), 9.0, [])
    near = Passage(article(TEACHERS, 8, "教师应当遵守宪法、法律和职业道德。", 4), 0.3, [])
    answer = Answer("醉驾怎么处罚", [near], abstained=True, kind=OUTSIDE, outside=[drunk], matched_terms=["醉酒驾驶机动车"])
    reply = answer_reply(Plain(), answer)
    text = text_of(reply)
    assert "本季度学法清单未涉及这个问题。法规库中以下条文可能相关" in text
    assert text.index("《刑法》第一百三十三条") < text.index("学法清单中内容相近的条文：《教师法》第八条")
    assert reply.buttons[0][0].action == "art:3"  # the full text offered is the outside article's
