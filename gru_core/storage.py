"""Where the app may write: one data folder, with user-chosen names that can
never escape it (no path traversal, no hidden files, no odd characters)."""
from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from .data import data_dir

CHECKPOINT_SUFFIX = ".pt"
MAX_NAME_LENGTH = 80


def safe_filename(name: str, suffix: str = CHECKPOINT_SUFFIX) -> str:
    """A user's name -> a plain file name: letters, digits, '-', '_' and '.'
    only, no leading dot, no folder parts. Raises ValueError if nothing usable
    is left (e.g. '../..')."""
    base = Path(str(name).replace("\\", "/")).name  # drop any folder part, Windows-style too
    base = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode()
    if base.endswith(suffix):
        base = base[: -len(suffix)]
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", base).strip("._-")[:MAX_NAME_LENGTH]
    if not base:
        raise ValueError(f"'{name}' is not a usable file name: use letters, digits, '-' or '_'.")
    return base + suffix


def checkpoints_dir(root: Path | None = None) -> Path:
    folder = (Path(root) if root is not None else data_dir()) / "checkpoints"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def checkpoint_path(name: str, root: Path | None = None) -> Path:
    """The path for a named checkpoint, guaranteed to lie inside the folder."""
    folder = checkpoints_dir(root).resolve()
    path = (folder / safe_filename(name)).resolve()
    if path.parent != folder:  # belt and braces: safe_filename already forbids this
        raise ValueError(f"'{name}' would be written outside {folder}.")
    return path


def list_checkpoints(root: Path | None = None) -> list[Path]:
    return sorted(checkpoints_dir(root).glob(f"*{CHECKPOINT_SUFFIX}"))
