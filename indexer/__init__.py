"""Finding things: encoders, the dense and keyword indexes, fusion, build/search/save/load."""

from __future__ import annotations


def load_index(settings, repository):
    """Load the index saved under the data directory, or return None if none was built."""
    return None
