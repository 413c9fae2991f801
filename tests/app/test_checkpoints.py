"""Checkpoints in the app: a bad file gets its reason; a model saved from a
run, one written by the app before the re-layout, and the shipped pretrained
asset all load as model sources."""
from __future__ import annotations

import io

import pytest
import torch

from app_ui.sources import SOURCE_TITLES
from gru_core.assets import SHIPPED_MODELS
from gru_core.checkpoint import load_checkpoint
from gru_core.data import TIME_MACHINE_NAME
from gru_core.models import make_model
from gru_core.training import half_state_dict

from .common import assert_clean, new_app, plot_specs, start_tiny_run, texts, wait_until

# TrainConfig as the app saved it before the re-layout (every field of the time).
OLD_CONFIG = {"batch_size": 4, "num_steps": 5, "lr": 1.0, "num_epochs": 3, "clip_theta": 1.0,
              "use_random_iter": False, "device": "cpu", "seed": 0, "max_tokens": 1000}


def old_app_checkpoint(kind: str, vocab_tokens: list[str], num_hiddens: int = 8) -> bytes:
    """The payload the app wrote before the re-layout (``Run.checkpoint_bytes``):
    format "gru-explainer-checkpoint" version 1, its epoch records cut to four keys."""
    model = make_model(kind, len(vocab_tokens), num_hiddens, "cpu", seed=3)
    epochs = [{"epoch": e, "perplexity": 20.0 - e, "tokens_per_second": 5e3, "seconds": 0.1}
              for e in (1, 2, 3)]
    payload = {
        "format": "gru-explainer-checkpoint", "version": 1,
        "config": OLD_CONFIG | {"model": kind, "num_hiddens": num_hiddens},
        "vocab": vocab_tokens, "corpus_name": TIME_MACHINE_NAME, "keep_case": False,
        "state_dict": {k: v.detach().clone() for k, v in model.state_dict().items()},
        "history": {"epochs": epochs, "samples": {"3": "time traveller the the"}},
        "snapshots": [{"epoch": 0, "state_dict": half_state_dict(model)},
                      {"epoch": 3, "state_dict": half_state_dict(model)}],
    }
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    return buffer.getvalue()


def upload_checkpoint(name: str, payload: bytes):
    at = new_app().run()
    at.file_uploader(key="train_ckpt_upload").set_value(
        (name, payload, "application/octet-stream")).run()
    assert_clean(at)
    return at


def test_bad_checkpoint_upload_gets_a_message(registry):
    at = upload_checkpoint("model.pt", b"\x00\x01 definitely not a checkpoint")
    assert "not a readable checkpoint" in texts(at.error)


def test_checkpoint_saved_from_a_run_loads_as_a_model_source(registry):
    at, run = start_tiny_run(registry)
    wait_until(lambda: run.epoch >= 1)
    at.button(key="stop").click().run()
    payload = run.checkpoint_bytes()
    viewer = upload_checkpoint("tiny.pt", payload)
    assert "Loaded **tiny.pt**" in texts(viewer.success)
    viewer.switch_page("app_pages/gates.py").run()
    viewer.segmented_control(key="source").set_value("checkpoint").run()
    assert_clean(viewer)
    assert "Checkpoint **tiny.pt**" in texts(viewer.info) and "8 hiddens" in texts(viewer.info)


@pytest.mark.parametrize("kind", ["scratch-fast", "concise"])
def test_a_checkpoint_written_by_the_app_before_the_relayout_still_loads(registry,
                                                                         time_machine, kind):
    payload = old_app_checkpoint(kind, list(time_machine.vocab.idx_to_token))
    checkpoint = load_checkpoint(io.BytesIO(payload))
    assert [r["perplexity"] for r in checkpoint.history.epochs] == [19.0, 18.0, 17.0]
    assert checkpoint.history.epochs[0]["num_tokens"] == 0  # a field it did not have
    at = upload_checkpoint("before.pt", payload)
    assert "Loaded **before.pt**" in texts(at.success)
    at.switch_page("app_pages/gates.py").run()
    at.segmented_control(key="source").set_value("checkpoint").run()
    assert_clean(at)
    banner = texts(at.info)
    assert "Checkpoint **before.pt**" in banner and "3 epochs, perplexity 17.00" in banner
    assert ("nn.GRU" if kind == "concise" else "from-scratch GRU") in banner
    assert [trace["type"] for trace in plot_specs(at)[0]["data"]][:4] == ["heatmap"] * 4
    at.switch_page("app_pages/explore.py").run()
    at.segmented_control(key="view").set_value("training").run()
    assert_clean(at)
    assert at.select_slider(key="snap_epoch").value == 3


@pytest.mark.parametrize("key", list(SHIPPED_MODELS))
def test_the_shipped_models_load(registry, key):
    shipped = SHIPPED_MODELS[key]
    checkpoint = load_checkpoint(shipped.path)
    assert checkpoint.model.num_hiddens == 256 and checkpoint.config.model == "scratch"
    assert checkpoint.snapshots and checkpoint.history.epochs
    at = new_app(source=SOURCE_TITLES[key]).run()
    at.switch_page("app_pages/step.py").run()
    assert_clean(at)
    assert shipped.summary[1:] in texts(at.info)
    assert "Checked: these numbers reproduce" in texts(at.success)


def test_saturation_of_a_model_without_its_corpus_offers_no_text_length(registry):
    """A checkpoint of another vocabulary: its corpus is unknown, the probe is
    the text, and no "Characters of text" slider pretends to choose."""
    tokens = ["<unk>", " ", *"abcdefghijklmnopqrstuvwxyzABC"]
    at = upload_checkpoint("other.pt", old_app_checkpoint("scratch-fast", tokens))
    at.switch_page("app_pages/explore.py").run()
    at.segmented_control(key="source").set_value("checkpoint").run()
    at.segmented_control(key="view").set_value("saturation").run()
    assert_clean(at)
    assert "Over the probe text (this model's corpus is not available)." in texts(at.caption)
    assert not [s for s in at.select_slider if s.key == "sat_chars"]
