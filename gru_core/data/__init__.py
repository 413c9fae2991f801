"""Text -> character tokens -> vocabulary -> minibatches, exactly as d2l does it.

The Time Machine pipeline mirrors Dive into Deep Learning, chapter 8:
``read_time_machine`` -> ``tokenize(..., 'char')`` -> ``Vocab`` -> ``corpus``
-> ``seq_data_iter_sequential`` / ``seq_data_iter_random``. The same pipeline
serves any text a user brings, and a generated offline corpus:

- ``download``: fetch and verify ``timemachine.txt``;
- ``vocab``: character tokens and the vocabulary;
- ``batches``: d2l's two minibatch iterators and a seeded loader;
- ``cleanup``: d2l's clean-up (or keep-case), for corpora and probes alike, with
  a record of what it changed;
- ``corpus``: ``Corpus`` (training and held-out tokens), users' texts;
- ``generated``: the offline corpus.
"""
from __future__ import annotations

from pathlib import Path

from ..storage import DATA_DIR_ENV, atomic_write_bytes, data_dir
from .batches import SeqDataLoader, check_batchable, seq_data_iter_random, seq_data_iter_sequential
from .cleanup import D2L_CLEANUP, CleanText, Cleanup, Replacement, fold_text
from .corpus import (MAX_VOCAB, TIME_MACHINE_NAME, TIME_MACHINE_PREFIXES, Corpus, clean_lines,
                     corpus_from_lines, decode_text, derive_prefixes, load_corpus_time_machine,
                     load_text, read_time_machine)
from .download import (TIME_MACHINE_FILENAME, TIME_MACHINE_SHA1, TIME_MACHINE_URL, URL_ENV,
                       CorpusError, download_time_machine, sha1_of)
from .generated import generated_text, load_generated_corpus
from .vocab import Vocab, tokenize_chars

# Where a corpus can come from, by the name the CLI's --corpus and the Train
# page use; the CLI also takes a path, the page an uploaded file.
CORPUS_SOURCES = {"timemachine": "The Time Machine (d2l)",
                  "generated": "Generated offline corpus"}


def load_corpus(source: str, max_tokens: int = 10000, keep_case: bool = False,
                fold_accents: bool = False) -> Corpus:
    """'timemachine' (default), 'generated', or a path to a UTF-8 text file."""
    if source == "timemachine":
        return load_corpus_time_machine(max_tokens)
    if source == "generated":
        return load_generated_corpus(max_tokens)
    return load_text(Path(source), max_tokens=max_tokens, keep_case=keep_case,
                     fold_accents=fold_accents)


def load_time_machine(batch_size: int, num_steps: int, use_random_iter: bool = False,
                      max_tokens: int = 10000, seed: int | None = 0):
    """d2l's ``load_data_time_machine``: returns ``(data_iter, vocab)``."""
    corpus = load_corpus_time_machine(max_tokens)
    return corpus.loader(batch_size, num_steps, use_random_iter, seed), corpus.vocab


__all__ = ["CORPUS_SOURCES", "CleanText", "Cleanup", "Corpus", "CorpusError", "D2L_CLEANUP",
           "DATA_DIR_ENV", "MAX_VOCAB", "Replacement", "TIME_MACHINE_PREFIXES", "derive_prefixes",
           "fold_text",
           "SeqDataLoader", "TIME_MACHINE_FILENAME", "TIME_MACHINE_NAME", "TIME_MACHINE_SHA1",
           "TIME_MACHINE_URL", "URL_ENV", "Vocab", "atomic_write_bytes", "check_batchable",
           "clean_lines", "corpus_from_lines", "data_dir", "decode_text",
           "download_time_machine", "generated_text", "load_corpus", "load_corpus_time_machine",
           "load_generated_corpus", "load_text", "load_time_machine", "read_time_machine",
           "seq_data_iter_random", "seq_data_iter_sequential", "sha1_of", "tokenize_chars"]
