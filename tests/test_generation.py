"""Generated answers against a fake OpenAI-compatible server on 127.0.0.1: grounding, stripping, fallback."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from knowledge.answers import Answer, Passage
from knowledge.citations import LawCatalog
from knowledge.generation import Composer
from knowledge.numerals import ArticleNo


class FakeLLM:
    """Answers /v1/chat/completions with a canned reply, an error, or silence; records requests."""

    def __init__(self):
        self.reply = ""
        self.mode = "ok"
        self.requests: list[dict] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.requests.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
                if fake.mode == "slow":
                    time.sleep(1.5)
                if fake.mode == "error":
                    self.send_response(500)
                    self.end_headers()
                    return
                payload = {"choices": [{"index": 0, "message": {"role": "assistant", "content": fake.reply}}]}
                if fake.mode == "garbage":
                    payload = {"error": "no choices here"}
                data = json.dumps(payload, ensure_ascii=False).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"


@pytest.fixture
def llm():
    fake = FakeLLM()
    fake.thread.start()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


@pytest.fixture
def grounded(loaded_repo):
    catalog = LawCatalog(loaded_repo.law_titles())
    article = loaded_repo.article("中华人民共和国义务教育法", ArticleNo(29))
    other = loaded_repo.article("中华人民共和国未成年人保护法", ArticleNo(27))
    answer = Answer(question="老师能罚学生站一节课吗？", passages=[Passage(article, 0.9), Passage(other, 0.8)])
    return answer, catalog


def test_a_grounded_summary_keeps_given_citations_and_strips_invented_ones(llm, grounded):
    answer, catalog = grounded
    llm.reply = (
        "不可以。依据《义务教育法》第二十九条，教师不得体罚、变相体罚学生；《未成年人保护法》第二十七条也作了规定。"
        "另见《教师法》第三十七条和《刑法》第九百九十九条。"
    )
    Composer(llm.base_url, "sk-test", "qwen-plus", timeout=5).compose(answer, catalog)
    assert "《义务教育法》第二十九条" in answer.summary and "《未成年人保护法》第二十七条" in answer.summary
    assert "教师法》第三十七条" not in answer.summary and "第九百九十九条" not in answer.summary
    assert answer.summary.count("〔已删除未经核实的引用〕") == 2
    assert answer.removed_citations == ["《教师法》第三十七条", "《刑法》第九百九十九条"]
    [request] = llm.requests
    assert request["path"] == "/v1/chat/completions" and request["auth"] == "Bearer sk-test"
    prompt = request["body"]["messages"][1]["content"]
    assert "《中华人民共和国义务教育法》第二十九条" in prompt and "平等对待学生" in prompt
    assert request["body"]["model"] == "qwen-plus"


@pytest.mark.parametrize("mode", ["error", "slow"])
def test_errors_and_timeouts_fall_back_to_the_extractive_answer(llm, grounded, mode):
    answer, catalog = grounded
    llm.mode, llm.reply = mode, "依据《义务教育法》第二十九条……"
    Composer(llm.base_url, None, None, timeout=0.5).compose(answer, catalog)
    assert answer.summary is None and answer.removed_citations == []
    assert [p.article.label for p in answer.passages] == ["第二十九条", "第二十七条"]


def test_a_malformed_reply_falls_back(llm, grounded):
    answer, catalog = grounded
    llm.mode = "garbage"
    Composer(llm.base_url, None, None, timeout=1).compose(answer, catalog)
    assert answer.summary is None
