"""The one clean-up of raw text, and a record of what it changed.

d2l's ``read_time_machine`` keeps letters only: per line, every run of
non-letters becomes one space, the line is stripped and lowercased, and the
lines are joined with no separator. A keep-case corpus keeps the text as it is,
every run of whitespace (line breaks included) as one space. Probes typed by a
user go through the same clean-up as the model's corpus (``Cleanup.text``), so
"Hello, world!" reaches a d2l model as "hello world", not with ``<unk>`` for
characters its training text never had; ``CleanText.replacements`` says what
changed so a page can show it.

d2l's clean-up drops accented letters ("é" is not in [A-Za-z]); with
``fold_accents`` they are folded to their base letters first (NFKD, combining
marks removed: "é" -> "e", "ﬁ" -> "fi"). A keep-case corpus keeps them as they are.
"""
from __future__ import annotations

import collections
import re
import unicodedata
from dataclasses import dataclass, field

NON_LETTERS = re.compile("[^A-Za-z]+")
WHITESPACE = re.compile(r"\s+")


def fold_char(char: str) -> str:
    """NFKD without combining marks: "é" -> "e", "ﬁ" -> "fi"; "ß" stays "ß"."""
    return "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))


def fold_text(text: str) -> str:
    """``fold_char`` over a whole text."""
    return "".join(fold_char(char) for char in text)


def clean_lines(lines: list[str], keep_case: bool = False,
                fold: bool = False) -> list[str]:
    """d2l's normalisation (per line, runs of non-letters become one space;
    strip; lowercase), or (``keep_case``) the text as it is with every run of
    whitespace, line breaks included, as one space, for a richer vocabulary.
    (d2l joins its cleaned lines with no separator; with case and punctuation
    kept, a line break must stay a word boundary, so it becomes a space.)
    ``fold`` folds accented letters to plain ones first (d2l's clean-up only)."""
    if keep_case:
        return [WHITESPACE.sub(" ", "\n".join(lines))]
    if fold:
        lines = [fold_text(line) for line in lines]
    return [NON_LETTERS.sub(" ", line).strip().lower() for line in lines]


@dataclass(frozen=True)
class Replacement:
    """Characters ``original`` at [start, end) of the given text, read as
    ``replacement`` ("" when they were removed)."""
    start: int
    end: int
    original: str
    replacement: str


@dataclass
class CleanText:
    """What the model reads (``text``) from what was given (``source``)."""
    text: str
    source: str
    replacements: list[Replacement] = field(default_factory=list)
    lowercased: int = 0   # capitals read as small letters

    @property
    def changed(self) -> bool:
        return self.text != self.source


def _merge(replacements: list[Replacement]) -> list[Replacement]:
    """Adjacent removals and replacements as one (a line's trailing "!", its
    line break and the next line's indent are one gap)."""
    merged: list[Replacement] = []
    for r in sorted(replacements, key=lambda r: (r.start, -r.end)):
        if merged and r.end <= merged[-1].end:
            continue  # a lone accent inside a run of punctuation: the run says it
        if merged and merged[-1].end == r.start and not (merged[-1].replacement
                                                        and r.replacement):
            last = merged.pop()
            r = Replacement(last.start, r.end, last.original + r.original,
                            last.replacement + r.replacement)
        merged.append(r)
    return merged


def _clean_d2l(text: str, fold: bool) -> CleanText:
    """``clean_lines`` over ``text.splitlines()``, joined, with every change recorded."""
    out, changes, lowered, offset = [], [], 0, 0
    for line_with_end in text.splitlines(keepends=True):
        body = line_with_end.splitlines()[0] if line_with_end.splitlines() else ""
        ending = line_with_end[len(body):]
        # the folded line, and for each folded character the original one's position
        folded, origin = [], []
        for i, char in enumerate(body):
            piece = fold_char(char) if fold else char
            if piece != char and NON_LETTERS.fullmatch(piece) is None and piece:
                changes.append(Replacement(offset + i, offset + i + 1, char, piece.lower()))
            elif not piece:
                changes.append(Replacement(offset + i, offset + i + 1, char, ""))
            folded += piece
            origin += [offset + i] * len(piece)
        line = "".join(folded)
        kept, cursor = [], 0
        for run in NON_LETTERS.finditer(line):
            kept.append(line[cursor:run.start()])
            at_edge = run.start() == 0 or run.end() == len(line)
            shown = "" if at_edge else " "
            kept.append(shown)
            if run.group() != shown:
                start, end = origin[run.start()], origin[run.end() - 1] + 1
                changes.append(Replacement(start, end, text[start:end], shown))
            cursor = run.end()
        kept.append(line[cursor:])
        cleaned = "".join(kept)
        lowered += sum(c.isupper() for c in cleaned)
        out.append(cleaned.lower())
        if ending:
            changes.append(Replacement(offset + len(body), offset + len(line_with_end),
                                       ending, ""))
        offset += len(line_with_end)
    return CleanText("".join(out), text, _merge(changes), lowered)


def _clean_keep_case(text: str) -> CleanText:
    """``clean_lines(..., keep_case=True)``: whitespace runs as one space; the
    last line break (``splitlines`` drops it) removed."""
    lines = text.splitlines(keepends=True)
    final_end = len(lines[-1]) - len(lines[-1].splitlines()[0]) if lines and lines[-1] else 0
    body = text[:len(text) - final_end]
    changes = [Replacement(m.start(), m.end(), m.group(), " ")
               for m in WHITESPACE.finditer(body) if m.group() != " "]
    if final_end:
        changes.append(Replacement(len(body), len(text), text[len(body):], ""))
    return CleanText(WHITESPACE.sub(" ", body), text, _merge(changes))


@dataclass(frozen=True)
class Cleanup:
    """How a corpus turned raw text into what its model read; apply the same
    to anything that model should read."""
    keep_case: bool = False
    fold_accents: bool = False

    def lines(self, lines: list[str]) -> list[str]:
        return clean_lines(lines, self.keep_case, self.fold_accents and not self.keep_case)

    def text(self, text: str) -> CleanText:
        """One text (a probe), cleaned exactly as ``lines`` would clean its
        lines and joined as the corpus joins them, with what changed."""
        if self.keep_case:
            return _clean_keep_case(text)
        return _clean_d2l(text, self.fold_accents)

    def keeps(self, char: str) -> bool:
        """Whether ``char`` survives as a letter (whitespace becomes a space)."""
        if self.keep_case:
            return True
        piece = fold_char(char) if self.fold_accents else char
        return bool(piece) and NON_LETTERS.search(piece) is None

    def dropped_characters(self, lines: list[str]) -> dict[str, int]:
        """How often each character of ``lines`` was not read as itself, a
        letter or a space: punctuation and digits (read as a space or removed)
        and, without ``fold_accents``, accented letters. Most frequent first."""
        counts = collections.Counter("".join(lines))
        dropped = {c: n for c, n in counts.items() if not c.isspace() and not self.keeps(c)}
        return dict(sorted(dropped.items(), key=lambda item: (-item[1], item[0])))

    @property
    def description(self) -> str:
        if self.keep_case:
            return "case and punctuation kept; every run of whitespace read as one space"
        folded = "accented letters folded to plain ones (é → e); " if self.fold_accents else ""
        return (f"d2l's clean-up: {folded}letters only, lowercase; every run of other "
                f"characters read as one space")


D2L_CLEANUP = Cleanup()
