"""Where the app may write: one data folder, files replaced atomically, and
user-chosen names that can never escape it (no path traversal, no hidden
files, no odd characters)."""
from __future__ import annotations

import os
import re
import secrets
import unicodedata
from pathlib import Path

DATA_DIR_ENV = "GRU_EXPLAINER_DATA"
CHECKPOINT_SUFFIX = ".pt"
MAX_NAME_LENGTH = 80


def data_dir() -> Path:
    """Per-user data folder (the book, saved checkpoints); ``$GRU_EXPLAINER_DATA``
    overrides it."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "gru_explainer"


def atomic_write_bytes(path: Path, payload: bytes) -> None:
    """Write via a temp file in the same folder and rename it into place, so a
    crash mid-write leaves either the old file or the new one, never half."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    # not mkstemp: its files are private (0600); mode 0666 lets the umask decide,
    # as for a plain open(), and O_EXCL never reuses an existing file
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


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
