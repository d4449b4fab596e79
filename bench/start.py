"""Start times of `bash scripts/run.sh` on a clean clone (first and later start), and the max RSS of a
process holding the `--all` index.

    nice -n 10 python bench/start.py [--repo DIR] [--venv VENV] [--rss]

--venv reuses an existing virtual environment (default: the one running this script) through a
shim .venv in the clone whose python and xuefa run that venv with the clone's code first on
PYTHONPATH, and a setup stamp so scripts/setup.sh installs nothing: the times are of the start
itself, not of pip. --rss also builds `xuefa index --all` in the first clone's data folder and
measures a `xuefa ask` process that loads it (wait4's ru_maxrss).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUESTION = "老师可以没收学生的手机吗？"


def shim(clone: Path, venv: Path) -> None:
    """Give the clone a .venv that runs the given venv's interpreter on the clone's code."""
    bin_dir = clone / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    for name, tail in (("python", '"$@"'), ("xuefa", '-c "import sys; from bot.cli import cli; sys.argv[0] = \'xuefa\'; sys.exit(cli())" "$@"')):
        script = bin_dir / name
        script.write_text(f'#!/usr/bin/env bash\nPYTHONPATH="{clone}${{PYTHONPATH:+:$PYTHONPATH}}" exec "{venv}/bin/python" {tail}\n')
        script.chmod(0o755)
    stamp = hashlib.sha256((clone / "requirements.txt").read_bytes() + (clone / "pyproject.toml").read_bytes())
    (clone / ".venv" / ".xuefa-requirements.sha256").write_text(stamp.hexdigest() + "\n")


def timed(command: list[str], cwd: Path, env: dict, question: str | None = None) -> tuple[float, int, str]:
    """Run a command (with a question piped in, as the README's console example does, else stdin at
    EOF); return seconds, max RSS (KiB) and the tail of stderr."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    process.stdin.write(question + "\n" if question else "")
    process.stdin.close()
    err = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{command} failed:\n{err[-2000:]}")
    return time.perf_counter() - started, usage.ru_maxrss, err.strip().splitlines()[-1] if err.strip() else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, default=ROOT)
    parser.add_argument("--venv", type=Path, default=Path(sys.prefix))
    parser.add_argument("--starts", type=int, default=2, help="starts to time (the first one on an empty data folder)")
    parser.add_argument("--rss", action="store_true", help="also measure a process holding the --all index")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="xuefa-start-") as tmp:
        clone = Path(tmp) / "clone"
        subprocess.run(["git", "clone", "-q", str(args.repo), str(clone)], check=True)
        shim(clone, args.venv)
        env = {k: v for k, v in os.environ.items() if not k.startswith("XUEFA_")}
        env["XUEFA_DATA_DIR"] = str(Path(tmp) / "data")
        for n in range(args.starts):
            # To the first answer: install check, laws, list and index (skipped when unchanged), the console.
            seconds, rss, _ = timed(["bash", "scripts/run.sh"], clone, env, QUESTION)
            print(f"start {n + 1} ({'first' if n == 0 else 'later'}): {seconds:.1f} s, max RSS {rss / 1024:.0f} MB", flush=True)
        if args.rss:
            seconds, _, line = timed([str(clone / ".venv/bin/xuefa"), "index", "--all"], clone, env)
            print(f"xuefa index --all: {seconds:.1f} s ({line})", flush=True)
            seconds, rss, _ = timed([str(clone / ".venv/bin/xuefa"), "ask", "教师体罚学生怎么处理"], clone, env)
            print(f"a process holding the --all index (xuefa ask): {seconds:.1f} s, max RSS {rss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
