"""gru_core.storage: names that cannot escape the data folder, atomic writes."""
import os
import stat

import pytest

from gru_core import storage
from gru_core.storage import checkpoint_path, list_checkpoints, safe_filename


@pytest.mark.parametrize("name, expected", [
    ("my run", "my_run.pt"),
    ("lecture-1.pt", "lecture-1.pt"),
    ("../../etc/passwd", "passwd.pt"),
    ("..\\..\\windows\\system32", "system32.pt"),
    ("/abs/path/model", "model.pt"),
    (".hidden", "hidden.pt"),
    ("naïve café", "naive_cafe.pt"),
])
def test_safe_filename_strips_folders_and_odd_characters(name, expected):
    assert safe_filename(name) == expected


@pytest.mark.parametrize("name", ["", "..", "../..", "///", "…"])
def test_unusable_names_are_refused_with_a_message(name):
    with pytest.raises(ValueError, match="not a usable file name"):
        safe_filename(name)


def test_checkpoint_paths_stay_inside_the_data_folder(tmp_path):
    root = tmp_path / "data"
    for name in ["a", "../escape", "/tmp/evil", "sub/dir/x"]:
        path = checkpoint_path(name, root)
        assert path.parent == (root / "checkpoints").resolve()
    path.write_bytes(b"x")
    assert list_checkpoints(root) == [path]
    assert not (tmp_path / "escape.pt").exists()


def test_atomic_write_gives_the_usual_file_mode(tmp_path):
    umask = os.umask(0o022)
    try:
        storage.atomic_write_bytes(tmp_path / "sub" / "file.bin", b"payload")
    finally:
        os.umask(umask)
    written = tmp_path / "sub" / "file.bin"
    assert written.read_bytes() == b"payload"
    assert stat.S_IMODE(written.stat().st_mode) == 0o644  # not mkstemp's private 0o600
    assert [p.name for p in written.parent.iterdir()] == ["file.bin"]
