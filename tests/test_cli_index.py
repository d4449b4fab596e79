"""`xuefa index` as the container's entrypoint runs it: a clear line without a study list, a scope remembered."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from bot.cli import cli

LIST = """quarters:
  - id: T
    title: 测试清单
    start: 2000-01-01
    end: 2099-12-31
    laws:
      - title: 中华人民共和国教师法
"""


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.setenv("XUEFA_DB", str(tmp_path / "x.db"))
    monkeypatch.setenv("XUEFA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    return lambda *args: CliRunner().invoke(cli, list(args))


def indexed_laws(tmp_path) -> set[str]:
    meta = json.loads((tmp_path / "data" / "index" / "meta.json").read_text(encoding="utf-8"))
    return set(meta["law_titles"])


def test_index_without_a_study_list_says_what_to_do(run, shared):
    assert run("laws", "import", str(shared / "laws" / "teachers-law.md")).exit_code == 0
    result = run("index")
    assert result.exit_code == 1
    assert "没有可索引的法规：请先载入学法清单" in result.output and "Traceback" not in result.output


def test_index_all_is_remembered_by_a_plain_index(run, shared, tmp_path):
    laws = shared / "laws"
    assert run("laws", "import", str(laws / "teachers-law.md"), str(laws / "statistics-law.md")).exit_code == 0
    (tmp_path / "list.yaml").write_text(LIST, encoding="utf-8")
    assert run("studylist", "load", "list.yaml").exit_code == 0
    assert run("index", "--all").exit_code == 0
    assert indexed_laws(tmp_path) == {"中华人民共和国教师法", "中华人民共和国统计法"}
    again = run("index")  # the container's entrypoint, at every start
    assert again.exit_code == 0 and "全部法规" in again.output
    assert indexed_laws(tmp_path) == {"中华人民共和国教师法", "中华人民共和国统计法"}
    assert run("index", "--lists").exit_code == 0
    assert indexed_laws(tmp_path) == {"中华人民共和国教师法"}
