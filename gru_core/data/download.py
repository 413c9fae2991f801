"""d2l's ``download``: fetch ``timemachine.txt`` once, verify its SHA-1, cache it."""
from __future__ import annotations

import hashlib
import http.client
import os
import urllib.error
import urllib.request
from pathlib import Path

from ..storage import DATA_DIR_ENV, atomic_write_bytes, data_dir

# d2l.DATA_HUB['time_machine'] = (d2l.DATA_URL + 'timemachine.txt', sha1)
TIME_MACHINE_URL = "http://d2l-data.s3-accelerate.amazonaws.com/timemachine.txt"
TIME_MACHINE_SHA1 = "090b5e7e70c295757f55df93cb0a180b9691891a"
TIME_MACHINE_FILENAME = "timemachine.txt"
URL_ENV = "GRU_EXPLAINER_TIME_MACHINE_URL"


class CorpusError(ValueError):
    """A corpus that cannot be used, with a message meant for the user."""


def sha1_of(path: Path) -> str:
    digest = hashlib.sha1()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def download_time_machine(cache: Path | None = None, url: str | None = None,
                          timeout: float = 30.0) -> Path:
    """Return the path of a verified copy of d2l's ``timemachine.txt``.

    A cached copy is used when its SHA-1 matches; a copy with the wrong hash is
    fetched again. Downloads are verified before they are renamed into place.
    """
    cache = Path(cache) if cache is not None else data_dir()
    url = url or os.environ.get(URL_ENV) or TIME_MACHINE_URL
    target = cache / TIME_MACHINE_FILENAME
    if target.is_file() and sha1_of(target) == TIME_MACHINE_SHA1:
        return target
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            payload = response.read()
    # HTTPException covers a connection cut mid-body (IncompleteRead)
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
        raise CorpusError(
            f"Could not download The Time Machine from {url} ({exc}). If this machine is "
            f"offline, put d2l's timemachine.txt (SHA-1 {TIME_MACHINE_SHA1}) at {target} "
            f"or set {DATA_DIR_ENV} to a folder that holds it.") from exc
    got = hashlib.sha1(payload).hexdigest()
    if got != TIME_MACHINE_SHA1:
        raise CorpusError(
            f"The download from {url} has SHA-1 {got}, expected {TIME_MACHINE_SHA1}; it was "
            f"discarded. Put a verified timemachine.txt at {target}.")
    try:
        atomic_write_bytes(target, payload)
    except OSError as exc:
        raise CorpusError(f"Downloaded The Time Machine but could not write it to {target} "
                          f"({exc.strerror}). Set {DATA_DIR_ENV} to a writable folder.") from exc
    return target
