"""Shared fixtures: the ../shared data, in-memory stores and a store loaded with the shared laws."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from knowledge.sources import load_files
from knowledge.store import Repository
from tests.fakebotapi import FakeBotAPI

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("XUEFA_SHARED", ROOT.parent / "shared"))


@pytest.fixture(scope="session")
def shared() -> Path:
    assert (SHARED / "laws" / "manifest.csv").exists(), f"the shared data folder is missing: {SHARED}"
    return SHARED


@pytest.fixture(scope="session")
def shared_laws(shared):
    parsed, errors = load_files([shared / "laws"])
    assert not errors
    return parsed


@pytest.fixture
def api():
    with FakeBotAPI() as server:
        yield server


@pytest.fixture
def repo() -> Repository:
    repository = Repository()
    yield repository
    repository.close()


@pytest.fixture
def loaded_repo(repo, shared_laws) -> Repository:
    repo.import_laws([result.law for result in shared_laws])
    return repo
