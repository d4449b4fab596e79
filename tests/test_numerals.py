"""Chinese numerals both ways over every article number of both corpora."""

from __future__ import annotations

import pytest

from knowledge.bundled import BundledCorpus
from knowledge.numerals import ArticleNo, cn_to_int, int_to_cn
from knowledge.sources import ARTICLE_START


def test_every_shared_article_number_round_trips(shared):
    count = 0
    for path in sorted((shared / "laws").glob("*.md")):
        for line in path.read_text(encoding="utf-8").splitlines():
            match = ARTICLE_START.match(line)
            if match:
                label = line.split()[0]
                assert ArticleNo.parse(label).label == label
                count += 1
    assert count == 3718


def test_every_bundled_article_number_round_trips():
    corpus = BundledCorpus()
    checked = 0
    for law in corpus.laws(None, None):
        for number in (item.article_no for item in corpus.articles(law.law_id)):
            if number and number.startswith("第") and "条" in number:
                parsed = ArticleNo.parse(number)
                assert parsed.label == number
                checked += 1
    corpus.close()
    assert checked > 25000


@pytest.mark.parametrize(
    ("text", "value"),
    [("一", 1), ("十", 10), ("十一", 11), ("二十", 20), ("一百零一", 101), ("一百一十", 110),
     ("一千二百六十", 1260), ("一千零二十四", 1024), ("1260", 1260), ("１２", 12), ("两百", 200), ("一〇一", 101)],
)
def test_cn_to_int(text, value):
    assert cn_to_int(text) == value


@pytest.mark.parametrize("value", [1, 10, 11, 20, 99, 100, 101, 110, 119, 1000, 1001, 1010, 1100, 1260])
def test_int_to_cn_round_trips(value):
    assert cn_to_int(int_to_cn(value)) == value


def test_article_numbers_sort_with_their_sub_articles():
    numbers = [ArticleNo.parse(s) for s in ["第一百三十四条", "第一百三十三条之二", "第一百三十三条", "第一百三十三条之一"]]
    assert [n.label for n in sorted(numbers)] == ["第一百三十三条", "第一百三十三条之一", "第一百三十三条之二", "第一百三十四条"]
    assert ArticleNo.from_key(ArticleNo(133, 1).key) == ArticleNo(133, 1)


@pytest.mark.parametrize("bad", ["", "abc", "第x条", "第条"])
def test_bad_numbers_raise_value_error(bad):
    with pytest.raises(ValueError):
        ArticleNo.parse(bad)
