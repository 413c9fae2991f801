"""``python -m gru_core``: a real train/predict run in a subprocess, and bad
arguments that end in one 'error: ...' line, never a traceback."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from gru_core import cli
from gru_core.checkpoint import load_checkpoint

REPO = Path(__file__).resolve().parents[1]


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gru_core", *args], cwd=REPO, text=True,
                          capture_output=True, timeout=300,
                          env=os.environ | {"OMP_NUM_THREADS": "1"})


def assert_one_line_error(stderr: str, *fragments: str) -> None:
    assert "Traceback" not in stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), stderr
    for fragment in fragments:
        assert fragment in lines[0]


@pytest.fixture(scope="module")
def train_run(tmp_path_factory, shared_text):
    folder = tmp_path_factory.mktemp("cli")
    result = run_cli("train", "--epochs", "2", "--hiddens", "16", "--snapshot-epochs", "0,1,2",
                     "--json-out", str(folder / "run.json"), "--save", str(folder / "gru.pt"))
    assert result.returncode == 0, result.stderr
    return result, json.loads((folder / "run.json").read_text()), folder / "gru.pt"


def test_train_writes_json_checkpoint_and_prints_results(train_run):
    result, report, checkpoint = train_run
    assert isinstance(report["perplexity"], float) and 10 < report["perplexity"] < 28
    assert isinstance(report["tokens_per_second"], float) and report["tokens_per_second"] > 100
    assert report["epochs"] == 2 and len(report["history"]) == 2
    assert report["perplexity"] == report["history"][-1]["perplexity"]
    assert set(report["samples"]) == {"time traveller", "traveller"}
    for prefix, text in report["samples"].items():
        assert text.startswith(prefix) and len(text) == len(prefix) + 50
    assert f"perplexity {report['perplexity']:.3f}" in result.stdout
    assert report["samples"]["time traveller"] in result.stdout.splitlines()
    assert "epoch 2/2" in result.stderr and "vocabulary 28" in result.stderr  # progress bar, corpus line
    loaded = load_checkpoint(checkpoint)
    assert loaded.config.num_hiddens == 16 and loaded.config.num_epochs == 2
    assert [s["epoch"] for s in loaded.snapshots] == [0, 1, 2]


def test_predict_continues_like_training_did(train_run):
    _, report, checkpoint = train_run
    result = run_cli("predict", "--checkpoint", str(checkpoint), "--prefix", "time traveller")
    assert result.returncode == 0, result.stderr
    assert result.stdout.rstrip("\n") == report["samples"]["time traveller"]  # greedy is deterministic


def test_bad_arguments_exit_with_one_line_from_the_shell():
    result = run_cli("predict", "--checkpoint", "missing.pt")
    assert result.returncode == 2
    assert_one_line_error(result.stderr, "missing.pt: no such file")
    assert result.stdout == ""


NEEDS_THE_BOOK = {"snapshot-beyond-epochs", "batch-too-big", "unwritable-save",
                  "json-out-is-a-folder"}


@pytest.mark.parametrize("args,fragments", [
    (["train", "--lr", "-1", "--epochs", "1"], ["lr must be between"]),
    (["train", "--device", "cuda", "--epochs", "1"], ["no CUDA GPU", "--device cpu"]),
    (["train", "--hiddens", "0"], ["num_hiddens must be between 1"]),
    (["train", "--batch-size", "2000"], ["batch_size must be between"]),
    (["train", "--epochs", "2", "--snapshot-epochs", "0,5"], ["snapshot_epochs", "(got 5)"]),
    (["train", "--corpus", "no/such/book.txt", "--epochs", "1"], ["book.txt: cannot read the file"]),
    (["train", "--epochs", "1", "--batch-size", "400"], ["too short for one batch"]),
    (["train", "--epochs", "1", "--save", "/proc/no/such/dir/x.pt"], ["--save /proc/no/such/dir/x.pt: cannot"]),
    (["train", "--epochs", "1", "--json-out", "tests"], ["--json-out tests: cannot write there"]),
    (["predict", "--checkpoint", "README.md"], ["README.md: not a readable checkpoint"]),
    (["predict", "--checkpoint", "missing.pt"], ["missing.pt: no such file"]),
], ids=["negative-lr", "cuda-without-gpu", "zero-hiddens", "huge-batch", "snapshot-beyond-epochs",
        "missing-corpus", "batch-too-big", "unwritable-save", "json-out-is-a-folder",
        "not-a-checkpoint", "missing-checkpoint"])
def test_bad_arguments_give_one_error_line(args, fragments, capsys, monkeypatch, request):
    """In-process: the same main() the shell runs, without a new interpreter each."""
    if request.node.callspec.id in NEEDS_THE_BOOK:  # refused only once the corpus is read
        request.getfixturevalue("shared_text")
    monkeypatch.chdir(REPO)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert cli.main(args) == 2
    captured = capsys.readouterr()
    assert_one_line_error(captured.err, *fragments)
    assert captured.out == ""


def test_malformed_snapshot_list_is_an_argparse_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["train", "--snapshot-epochs", "0,one,2"])
    assert exit_info.value.code == 2
    assert "expected whole numbers separated by commas" in capsys.readouterr().err


def test_epoch_list_parses_and_sorts():
    assert cli.epoch_list("10,0, 2,2,") == [0, 2, 10]


def test_a_users_text_samples_its_own_words_and_can_keep_its_accents(tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("Le café était fermé, alors nous avons marché. " * 80, encoding="utf-8")
    result = run_cli("train", "--corpus", str(notes), "--fold-accents", "--epochs", "1",
                     "--hiddens", "8", "--batch-size", "4", "--num-steps", "10",
                     "--json-out", str(tmp_path / "run.json"), "--save", str(tmp_path / "n.pt"))
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "run.json").read_text())
    assert set(report["samples"]) == {"le cafe", "cafe"}   # not "time traveller"
    loaded = load_checkpoint(tmp_path / "n.pt")
    assert loaded.cleanup.fold_accents and loaded.sample_prefixes == ("le cafe", "cafe")
    assert "é" not in loaded.vocab.idx_to_token and "e" in loaded.vocab.idx_to_token


def json_shape(value):
    """The shape of a JSON value: dict keys and value types, list element shapes."""
    if isinstance(value, dict):
        return {key: json_shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [json_shape(value[0])] if value else []
    return type(value).__name__


@pytest.mark.parametrize("kind", ["rnn", "reset-only", "update-only", "lstm", "concise-lstm"])
def test_every_cell_trains_from_the_cli_with_the_same_json_fields(kind, tmp_path, capsys,
                                                                  shared_text):
    def train(model):
        out = tmp_path / f"{model}.json"
        assert cli.main(["train", "--model", model, "--epochs", "2", "--hiddens", "8",
                         "--max-tokens", "2000", "--quiet", "--json-out", str(out),
                         "--save", str(tmp_path / f"{model}.pt")]) == 0
        return json.loads(out.read_text())
    reference, report = train("scratch"), train(kind)
    assert json_shape(report) == json_shape(reference)
    assert report["config"]["model"] == kind and report["history"][0]["model"] == kind
    assert 1 < report["perplexity"] < 29
    assert load_checkpoint(tmp_path / f"{kind}.pt").config.model == kind
    assert f"model: {kind}, 8 hiddens" in capsys.readouterr().err


def test_an_unknown_model_kind_is_an_argparse_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["train", "--model", "transformer"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'transformer'" in capsys.readouterr().err


def test_engine_report_names_the_chosen_paths_and_their_times():
    result = run_cli("--engine-report")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("engine: ") and "kernel path auto" in lines[0]
    assert any(line.strip().startswith("gates (32x256 @ 256x512): ") and line.endswith("us]")
               for line in lines)
    assert lines[-1].startswith("Fast engine kernels for reset-before 256 hiddens, batch 32")


def test_no_command_is_one_line_error():
    result = run_cli()
    assert result.returncode == 2 and "a command is required" in result.stderr


def test_nn_gru_trains_from_d2ls_init_and_the_checkpoint_says_so(tmp_path, shared_text):
    out, saved = tmp_path / "concise.json", tmp_path / "concise.pt"
    assert cli.main(["train", "--model", "concise", "--concise-init", "d2l", "--epochs", "1",
                     "--hiddens", "8", "--max-tokens", "2000", "--quiet", "--json-out", str(out),
                     "--save", str(saved)]) == 0
    assert json.loads(out.read_text())["config"]["concise_init"] == "d2l"
    assert load_checkpoint(saved).config.concise_init == "d2l"


def test_an_unknown_concise_init_is_an_argparse_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["train", "--model", "concise", "--concise-init", "xavier"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'xavier'" in capsys.readouterr().err
