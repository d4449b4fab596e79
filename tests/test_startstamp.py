"""scripts/run.sh skips the bundled import, the example list and the index when none of their inputs
changed since the last start, and never skips when an output is missing or an input moved."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _stamp(env: dict, action: str) -> int:
    return subprocess.run([sys.executable, "-m", "bot.startstamp", action], cwd=ROOT, env=env, timeout=60).returncode


def test_a_later_start_skips_only_while_nothing_changed(tmp_path, monkeypatch):
    import os

    data = tmp_path / "data"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "XUEFA_DATA_DIR": str(data)}
    env.pop("XUEFA_DB", None)
    env.pop("XUEFA_EMBEDDING_MODEL", None)
    assert _stamp(env, "check") == 1  # a first start: nothing there
    (data / "index").mkdir(parents=True)
    (data / "xuefa.db").write_bytes(b"")
    assert _stamp(env, "check") == 1  # no index yet
    (data / "index" / "meta.json").write_text("{}")
    assert _stamp(env, "check") == 1  # outputs there, but never stamped
    assert _stamp(env, "save") == 0
    assert _stamp(env, "check") == 0  # the later start skips
    assert _stamp({**env, "XUEFA_EMBEDDING_MODEL": "m3e-small"}, "check") == 1  # another encoder
    (data / "index" / "meta.json").unlink()
    assert _stamp(env, "check") == 1  # the index was removed: rebuild it


def test_the_fingerprint_follows_the_example_list(monkeypatch, tmp_path):
    from bot import startstamp
    from bot.settings import load_settings

    settings = load_settings(data_dir=tmp_path)
    before = startstamp.fingerprint(settings)
    copy = tmp_path / "root"
    (copy / "knowledge" / "data").mkdir(parents=True)
    example = ROOT / "knowledge" / "data" / "example-studylist.yaml"
    (copy / "knowledge" / "data" / "example-studylist.yaml").write_text(example.read_text(encoding="utf-8") + "\n# x\n")
    monkeypatch.setattr(startstamp, "ROOT", copy)
    assert startstamp.fingerprint(settings) != before
