"""The texts a run can train on, as the pages load them: the corpora of
``gru_core.data.CORPUS_SOURCES`` (The Time Machine cut from one cached copy of
the whole book) and texts users upload. Loaders return ``(corpus, None)`` or
``(None, why not)``, so a page can explain instead of failing."""
from __future__ import annotations

import streamlit as st

from gru_core.config import D2L
from gru_core.data import Corpus, CorpusError, load_corpus, load_text

TIME_MACHINE, GENERATED = "timemachine", "generated"   # keys of CORPUS_SOURCES


@st.cache_resource(show_spinner="Loading The Time Machine…", ttl=600)
def whole_book() -> tuple[Corpus | None, str | None]:
    """The whole book (nothing held out), or why it cannot be had; the failure
    is cached too, so an offline server does not retry the download every rerun."""
    try:
        return load_corpus(TIME_MACHINE, max_tokens=0), None
    except CorpusError as exc:
        return None, str(exc)


@st.cache_resource(show_spinner=False, max_entries=8)
def _generated(source: str, max_tokens: int) -> Corpus:
    return load_corpus(source, max_tokens)


def library_corpus(source: str, max_tokens: int = D2L.max_tokens
                   ) -> tuple[Corpus | None, str | None]:
    """A corpus of ``CORPUS_SOURCES``: its first ``max_tokens`` tokens to train
    on, the rest held out (the book's vocabulary is the whole book's, as d2l
    builds it)."""
    if source != TIME_MACHINE:
        return _generated(source, max_tokens), None
    book, problem = whole_book()
    return (book.first(max_tokens), None) if book is not None else (None, problem)


@st.cache_resource(show_spinner=False, max_entries=16)
def uploaded_corpus(payload: bytes, name: str, max_tokens: int, keep_case: bool,
                    fold_accents: bool = False) -> tuple[Corpus | None, str | None]:
    try:
        return load_text(payload, name=name, max_tokens=max_tokens, keep_case=keep_case,
                         fold_accents=fold_accents), None
    except CorpusError as exc:
        return None, str(exc)


def _counts(counts: dict[str, int], limit: int = 8) -> str:
    shown = [f"'{c}' ×{n:,}" for c, n in list(counts.items())[:limit]]
    more = f" and {len(counts) - limit} more" if len(counts) > limit else ""
    return ", ".join(shown) + more


def describe_dropped(corpus: Corpus) -> str | None:
    """What d2l's clean-up did not keep of an uploaded text, in words: the
    letters first (accents, other scripts: what folding or keep-case would
    keep), then the rest (punctuation, digits: read as spaces)."""
    letters = corpus.dropped_letters
    others = {c: n for c, n in corpus.dropped_characters.items() if c not in letters}
    said = []
    if letters:
        said.append(f"Letters the clean-up dropped: {_counts(letters)} — tick *Fold accents* "
                    f"to read é as e, or keep case to keep them all.")
    if others:
        said.append(f"Read as spaces or removed, as d2l does: {_counts(others)}.")
    return " ".join(said) or None


def default_corpus() -> Corpus:
    """d2l's: The Time Machine when it can be had, else the generated corpus."""
    corpus, _ = library_corpus(TIME_MACHINE)
    return corpus if corpus is not None else _generated(GENERATED, D2L.max_tokens)


def describe_corpus(corpus: Corpus) -> str:
    shown = "".join(token if token != " " else "␣" for token in corpus.vocab.idx_to_token[1:])
    used = len(corpus.indices)
    total = f" of {corpus.total_tokens:,}" if corpus.total_tokens > used else ""
    note = f" — {corpus.note}" if corpus.note else ""
    return (f"**{corpus.name}**: {used:,}{total} characters used, vocabulary of "
            f"{len(corpus.vocab)} tokens (`<unk>` + `{shown}`){note}")
