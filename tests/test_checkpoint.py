"""Checkpoints: a faithful round trip, a clear CheckpointError for every bad
file, pickles that never execute, and saves that are atomic."""
from __future__ import annotations

import io
import os
import pickle
import random
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

from gru_core.checkpoint import FORMAT, CheckpointError, load_checkpoint, save_checkpoint
from gru_core.data import Cleanup, Vocab, load_text
from gru_core.models import DeviceError, make_model
from gru_core.training import TrainConfig, fit

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module", params=["scratch", "scratch-reset-after", "concise", "rnn",
                                        "reset-only", "update-only", "lstm", "concise-lstm"])
def trained_run(request, time_machine):
    config = TrainConfig(model=request.param, num_hiddens=12, batch_size=8, num_steps=10,
                         num_epochs=2, device="cpu", seed=1)
    model, history, _ = fit(time_machine, config, sample_every=1, snapshot_epochs=[0, 2])
    return model, history, config


@pytest.fixture
def saved(tmp_path, time_machine):
    """A small valid checkpoint on disk and the model it holds."""
    model = make_model("scratch", len(time_machine.vocab), 8, seed=0)
    path = save_checkpoint(tmp_path / "gru.pt", model, time_machine.vocab,
                           TrainConfig(num_hiddens=8, device="cpu"))
    return path, model


def outputs_of(model, seed=0):
    X = torch.randint(0, model.vocab_size, (3, 11), generator=torch.Generator().manual_seed(seed))
    with torch.no_grad():
        Y, _ = model(X, model.begin_state(3))
    return Y


def rewritten(path: Path, change) -> Path:
    """Load a valid checkpoint's payload, let ``change`` edit it, save it back."""
    payload = torch.load(path, weights_only=True)
    change(payload)
    torch.save(payload, path)
    return path


# ---------------------------------------------------------------- round trip

def test_round_trip_keeps_everything(trained_run, time_machine, tmp_path):
    model, history, config = trained_run
    path = save_checkpoint(tmp_path / "run.pt", model, time_machine.vocab, config, history,
                           snapshots=history.snapshots, corpus_name=time_machine.name)
    loaded = load_checkpoint(path, expect_vocab=time_machine.vocab)
    assert type(loaded.model) is type(model)
    assert torch.equal(outputs_of(loaded.model), outputs_of(model))
    assert loaded.vocab.idx_to_token == time_machine.vocab.idx_to_token
    assert loaded.config == config
    assert loaded.history.epochs == history.epochs and len(loaded.history.epochs) == 2
    assert loaded.history.samples == history.samples and loaded.history.samples["2"].startswith("time")
    assert [s["epoch"] for s in loaded.snapshots] == [0, 2]
    for ours, theirs in zip(loaded.snapshots, history.snapshots):
        assert ours["state_dict"].keys() == theirs["state_dict"].keys()
        assert all(torch.equal(ours["state_dict"][k], v) for k, v in theirs["state_dict"].items())
        assert all(v.dtype == torch.float16 for v in ours["state_dict"].values())
    assert loaded.corpus_name == time_machine.name and loaded.keep_case is False


def test_round_trip_from_a_file_object_keeps_case_flag(tmp_path):
    corpus = load_text("Hello, World! " * 20, keep_case=True)
    model = make_model("concise", len(corpus.vocab), 4, seed=0)
    path = save_checkpoint(tmp_path / "case.pt", model, corpus.vocab, TrainConfig(model="concise", num_hiddens=4),
                           corpus_name=corpus.name, keep_case=True)
    with open(path, "rb") as f:
        loaded = load_checkpoint(f)
    assert loaded.keep_case and loaded.vocab["H"] == corpus.vocab["H"] != 0
    assert torch.equal(outputs_of(loaded.model), outputs_of(model))


def test_the_corpus_cleanup_and_sample_prefixes_travel_with_the_model(tmp_path, saved):
    corpus = load_text("Café notes: gated units remember. " * 30, fold_accents=True)
    model = make_model("scratch", len(corpus.vocab), 4, seed=0)
    path = save_checkpoint(tmp_path / "notes.pt", model, corpus.vocab, TrainConfig(num_hiddens=4),
                           corpus_name=corpus.name, fold_accents=corpus.fold_accents,
                           sample_prefixes=corpus.sample_prefixes)
    loaded = load_checkpoint(path)
    assert loaded.cleanup == corpus.cleanup and loaded.cleanup.fold_accents
    assert loaded.sample_prefixes == ("cafe notes", "notes")
    older = load_checkpoint(saved[0])   # saved without them: d2l's clean-up, no prefixes
    assert older.cleanup == Cleanup() and older.sample_prefixes == ()


def test_saved_config_follows_the_model_it_holds(tmp_path, time_machine):
    """The config's model kind and size come from the model actually saved."""
    model = make_model("concise", 28, 6, seed=0)
    path = save_checkpoint(tmp_path / "c.pt", model, time_machine.vocab, TrainConfig())
    loaded = load_checkpoint(path)
    assert (loaded.config.model, loaded.config.num_hiddens) == ("concise", 6)


# ---------------------------------------------------------------- bad files

def test_random_bytes(tmp_path):
    """Junk makes torch's unpickler raise many kinds of errors (UnpicklingError,
    KeyError, IndexError, EOFError, ...): every one must become a CheckpointError."""
    rng = random.Random(0)
    path = tmp_path / "noise.pt"
    for _ in range(60):
        path.write_bytes(rng.randbytes(rng.randrange(1, 300)))
        with pytest.raises(CheckpointError, match="noise.pt: "):
            load_checkpoint(path)
    path.write_bytes(rng.randbytes(4096))
    with pytest.raises(CheckpointError, match="noise.pt: not a readable checkpoint"):
        load_checkpoint(path)


@pytest.mark.parametrize("keep", [0.5, 0.9, 10])
def test_truncated_file(saved, keep):
    path, _ = saved
    payload = path.read_bytes()
    path.write_bytes(payload[: int(len(payload) * keep) if keep < 1 else keep])
    with pytest.raises(CheckpointError, match="not a readable checkpoint"):
        load_checkpoint(path)


def test_another_vocabulary(saved):
    path, _ = saved
    other = Vocab(list("the quick brown fox"))
    with pytest.raises(CheckpointError, match=r"another vocabulary \(28 tokens\) than the current corpus \(17 tokens\)"):
        load_checkpoint(path, expect_vocab=other)


def test_another_hidden_size(saved):
    path = rewritten(saved[0], lambda payload: payload["config"].update(num_hiddens=32))
    with pytest.raises(CheckpointError, match="does not match its model .*size mismatch"):
        load_checkpoint(path)


@pytest.mark.parametrize("change", [
    lambda payload: payload["state_dict"].pop("W_hh"),
    lambda payload: payload["state_dict"].update(extra=torch.zeros(2)),
    lambda payload: payload["config"].update(model="concise"),
    lambda payload: payload.update(vocab=payload["vocab"][:-3]),
    lambda payload: payload.pop("state_dict"),
], ids=["missing-key", "extra-key", "other-kind", "short-vocab", "no-state-dict"])
def test_mismatched_contents(saved, change):
    with pytest.raises(CheckpointError, match="does not match its model"):
        load_checkpoint(rewritten(saved[0], change))


@pytest.mark.parametrize("content", [{"weights": torch.zeros(3)}, torch.zeros(3), [1, 2, 3]],
                         ids=["dict", "tensor", "list"])
def test_a_torch_file_that_is_not_a_checkpoint(tmp_path, content):
    path = tmp_path / "other.pt"
    torch.save(content, path)
    with pytest.raises(CheckpointError, match="a PyTorch file but not a GRU Explainer checkpoint"):
        load_checkpoint(path)


def test_unsupported_version(saved):
    path = rewritten(saved[0], lambda payload: payload.update(version=99))
    with pytest.raises(CheckpointError, match="version 99 is not supported"):
        load_checkpoint(path)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(CheckpointError, match="nope.pt: no such file"):
        load_checkpoint(tmp_path / "nope.pt")
    with pytest.raises(CheckpointError, match="is a folder"):
        load_checkpoint(tmp_path)


def test_cuda_without_gpu(saved, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(DeviceError, match="no CUDA GPU"):
        load_checkpoint(saved[0], device="cuda")


# ---------------------------------------------------------------- pickles never run

class MakesAFile:
    """Unpickling this calls ``action`` — which creates ``marker`` — if anything
    ever unpickles it without weights_only."""

    def __init__(self, marker: Path, action: str):
        self.marker, self.action = marker, action

    def __reduce__(self):
        if self.action == "system":
            return (os.system, (f"touch '{self.marker}'",))
        return (open, (str(self.marker), "w"))


def crafted_bytes(marker, action, container):
    payload = {"format": FORMAT, "version": 1, "config": {}, "state_dict": MakesAFile(marker, action)}
    if container == "torch-zip":
        buffer = io.BytesIO()
        torch.save(payload, buffer)
        return buffer.getvalue()
    return pickle.dumps(payload, protocol=2)


@pytest.mark.parametrize("action", ["system", "open"])
@pytest.mark.parametrize("container", ["torch-zip", "raw-pickle"])
def test_crafted_pickle_never_executes(tmp_path, action, container):
    marker = tmp_path / "payload-ran"
    crafted = crafted_bytes(marker, action, container)
    if container == "raw-pickle":  # prove the payload is live: plain pickle runs it
        pickle.loads(crafted)
        assert marker.exists()
        marker.unlink()
    path = tmp_path / "evil.pt"
    path.write_bytes(crafted)
    with pytest.raises(CheckpointError, match="refused .* nothing in it was executed"):
        load_checkpoint(path)
    assert not marker.exists()


# ---------------------------------------------------------------- atomic save

CHILD = textwrap.dedent("""
    import os, sys, time
    from gru_core.checkpoint import save_checkpoint
    from gru_core.data import Vocab
    from gru_core.models import make_model
    from gru_core.training import TrainConfig

    real_fdopen = os.fdopen

    class SlowFile:
        '''Writes half of what it is given, says so, then stalls.'''
        def __init__(self, f):
            self.f = f
        def __enter__(self):
            return self
        def __exit__(self, *exc):
            return self.f.__exit__(*exc)
        def write(self, payload):
            self.f.write(payload[: len(payload) // 2])
            self.f.flush()
            print("half-written", flush=True)
            time.sleep(120)
        def __getattr__(self, name):
            return getattr(self.f, name)

    os.fdopen = lambda fd, *args, **kwargs: SlowFile(real_fdopen(fd, *args, **kwargs))
    vocab = Vocab.from_tokens(sys.argv[2].split(","))
    save_checkpoint(sys.argv[1], make_model("scratch", len(vocab), 8, seed=99), vocab,
                    TrainConfig(num_hiddens=8))
""")


def test_save_killed_mid_write_keeps_the_previous_checkpoint(saved, time_machine):
    path, model = saved
    before = path.read_bytes()
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(path), ",".join(time_machine.vocab.idx_to_token)],
                             cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env=os.environ | {"OMP_NUM_THREADS": "1"})
    try:
        line = child.stdout.readline()
        assert line.strip() == "half-written", child.stderr.read()
        temp_files = [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]
        assert len(temp_files) == 1 and 0 < temp_files[0].stat().st_size < len(before)
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(timeout=10) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        child.stdout.close()
        child.stderr.close()
    assert path.read_bytes() == before
    assert torch.equal(outputs_of(load_checkpoint(path).model), outputs_of(model))


def test_save_failing_mid_write_cleans_up(saved, monkeypatch, time_machine):
    path, model = saved
    before = path.read_bytes()

    def disk_full(fd):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space left"):
        save_checkpoint(path, make_model("scratch", 28, 8, seed=5), time_machine.vocab, TrainConfig(num_hiddens=8))
    assert path.read_bytes() == before
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp file left
