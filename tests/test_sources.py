"""Reading law files: the shared corpus against its manifest, and every kind of bad input."""

from __future__ import annotations

import csv
import re
import zipfile

import docx
import pytest

from knowledge.errors import SourceError
from knowledge.numerals import ArticleNo
from knowledge.sources import load_files, parse_law_text, read_source

ARTICLE_LINE = re.compile(r"^第[零〇一二三四五六七八九十百千]+条(之[一二三四五六七八九十]+)?\s")


def manifest(shared):
    with open(shared / "laws" / "manifest.csv", encoding="utf-8") as handle:
        return {row["file"]: row for row in csv.DictReader(handle)}


def file_article_text(path) -> str:
    """Collect a file's article text independently of the parser: from an article line to the next heading."""
    lines, inside = [], False
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line.startswith("#"):
            inside = False
        elif ARTICLE_LINE.match(line):
            inside = True
            lines.append(line.split(maxsplit=1)[1] if " " in line else "")
        elif inside and line:
            lines.append(line)
    return "".join(lines)


def test_every_shared_law_matches_the_manifest(shared, shared_laws):
    rows = manifest(shared)
    by_file = {result.law.source_file: result.law for result in shared_laws}
    assert set(by_file) == set(rows)
    for file, row in rows.items():
        law = by_file[file]
        assert law.title == row["title"]
        assert len(law.articles) == int(row["articles"]), file
        assert law.kind == row["kind"] and law.issuer == row["issuer"]
        joined = "".join(article.text.replace("\n", "") for article in law.articles)
        assert joined == file_article_text(shared / "laws" / file), file
    assert sum(len(law.articles) for law in by_file.values()) == 3718


def test_paths_and_numbers_come_out_as_written(shared_laws):
    laws = {result.law.source_file: result.law for result in shared_laws}
    civil = laws["civil-code.md"]
    article = civil.article(ArticleNo(1199))
    assert article.path == ("第七编 侵权责任", "第三章 责任主体的特殊规定")
    assert civil.article(ArticleNo(20)).path == ("第一编 总则", "第二章 自然人", "第一节 民事权利能力和民事行为能力")
    assert civil.articles[-1].path == ("附则",)
    criminal = laws["criminal-law.md"]
    assert criminal.article(ArticleNo(133, 1)).label == "第一百三十三条之一"
    assert [a.number for a in criminal.articles] == sorted(a.number for a in criminal.articles)
    teachers = laws["teachers-law.md"]
    assert teachers.article(ArticleNo(7)).paragraphs[1].startswith("（一）")
    assert len(teachers.article(ArticleNo(7)).clauses) == 1
    assert teachers.promulgated == "1993-10-31" and teachers.amended == "2009-08-27"


def test_constitution_preamble_and_criminal_appendix_are_not_articles(shared_laws):
    laws = {result.law.source_file: result.law for result in shared_laws}
    assert laws["constitution.md"].articles[0].text.startswith("中华人民共和国是工人阶级领导的")
    last = laws["criminal-law.md"].articles[-1]
    assert "关于禁毒的决定" not in last.text


def write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


PLAIN = "中华人民共和国示例法\n\n第一章　总则\n\n第一条　为了示例，制定本法。\n\n第二条　本法适用于示例。\n第二款内容。\n\n第二章 附 则\n第三条 本法自公布之日起施行。\n"


def test_plain_text_with_unmarked_headings_and_ideographic_spaces(tmp_path):
    law = parse_law_text(read_source(write(tmp_path, "a.txt", PLAIN)), "a.txt").law
    assert [a.label for a in law.articles] == ["第一条", "第二条", "第三条"]
    assert law.articles[1].text == "本法适用于示例。\n第二款内容。"
    assert law.articles[0].path == ("第一章 总则",)
    assert law.articles[2].path == ("第二章 附则",)


def test_gbk_text_is_detected(tmp_path):
    law = parse_law_text(read_source(write(tmp_path, "gbk.txt", PLAIN, "gbk")), "gbk.txt").law
    assert law.title == "中华人民共和国示例法" and len(law.articles) == 3


def test_docx_is_read_like_the_national_database_download(tmp_path):
    document = docx.Document()
    for line in ["中华人民共和国示例法", "（2020年1月1日第十三届全国人民代表大会常务委员会第一次会议通过）", "目　　录",
                 "第一章　总　　则", "第一章　总　　则", "第一条　为了示例，制定本法。", "第二条　本法适用于示例。"]:
        document.add_paragraph(line)
    path = tmp_path / "law.docx"
    document.save(path)
    law = parse_law_text(read_source(path), str(path)).law
    assert law.title == "中华人民共和国示例法"
    assert [a.label for a in law.articles] == ["第一条", "第二条"]
    assert law.articles[0].path == ("第一章 总则",)
    assert law.promulgated == "2020-01-01"


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.md", b"", "文件为空"),
        ("blank.md", b"\n \n\t\n", "文件为空"),
        ("none.md", "# 某某规定\n\n这里没有条文。\n".encode(), "没有找到任何以“第X条”开头的条文"),
        ("binary.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "不是文本文件"),
        ("old.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "旧版 Word（.doc）"),
        ("broken.docx", b"this is not a zip file", "不是有效的 .docx 文件"),
        ("law.pdf", b"%PDF-1.4", "不支持的文件类型 .pdf"),
        ("latin1.txt", "Gesetz über Ä\n".encode("utf-16"), "不是文本文件"),
    ],
)
def test_bad_files_get_a_clear_message(tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(SourceError) as caught:
        parse_law_text(read_source(path), str(path))
    assert reason in str(caught.value)
    assert str(path) in str(caught.value)


def test_undecodable_text_is_refused(tmp_path):
    path = tmp_path / "mojibake.txt"
    path.write_bytes(bytes(range(0x80, 0x100)) * 4 + b"\x01\x02\x03" * 50)
    with pytest.raises(SourceError, match="编码|不是文本文件"):
        read_source(path)


def test_duplicate_article_names_both_lines(tmp_path):
    path = write(tmp_path, "dup.md", "# 示例法\n\n第一条 甲。\n\n第二条 乙。\n\n第二条 丙。\n")
    with pytest.raises(SourceError) as caught:
        parse_law_text(read_source(path), str(path))
    assert caught.value.line == 7
    assert "第二条 已在第5行出现" in str(caught.value)


def test_a_malformed_article_number_names_its_line(tmp_path):
    path = write(tmp_path, "bad-number.md", "# 示例法\n\n第一条 甲。\n\n第十十条 乙。\n")
    with pytest.raises(SourceError) as caught:
        parse_law_text(read_source(path), str(path))
    assert caught.value.line == 5 and "“第十十条”不是有效的条文编号" in str(caught.value)


def test_gap_is_a_warning_and_the_law_still_imports(tmp_path):
    path = write(tmp_path, "gap.md", "# 示例法\n\n第一条 甲。\n\n第三条 丙。\n\n第三条之一 丁。\n\n第四条 戊。\n")
    parsed = parse_law_text(read_source(path), str(path))
    assert [a.label for a in parsed.law.articles] == ["第一条", "第三条", "第三条之一", "第四条"]
    assert len(parsed.warnings) == 1 and "第一条 之后是 第三条（第5行）" in parsed.warnings[0]


def test_a_bad_file_in_a_folder_stops_the_whole_folder(tmp_path):
    write(tmp_path, "good.md", "# 示例法\n\n第一条 甲。\n")
    write(tmp_path, "bad.md", "")
    parsed, errors = load_files([tmp_path])
    assert len(parsed) == 1 and len(errors) == 1 and "bad.md" in str(errors[0])


def test_zip_that_is_not_a_word_document(tmp_path):
    path = tmp_path / "fake.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "hi")
    with pytest.raises(SourceError, match="不是有效的 .docx 文件"):
        read_source(path)
