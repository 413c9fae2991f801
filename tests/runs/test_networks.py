"""gru_core.runs.networks: which networks a run trains, by name and kind."""
from __future__ import annotations

import io

import pytest
import torch

from gru_core.checkpoint import load_checkpoint
from gru_core.evaluation import evaluate
from gru_core.models import CELL_NAMES, ScratchLSTM, model_kind, network_name
from gru_core.runs import (CELL_NETWORKS, MAX_NETWORKS, RecordsReader, RunState, networks_for,
                           resolve_networks)

from .common import WAIT_S, params_equal


def test_config_model_names_one_network_or_both():
    assert networks_for("both", "scratch-fast") == {"scratch": "scratch-fast", "concise": "concise"}
    assert networks_for("scratch", "scratch") == {"scratch": "scratch"}
    assert networks_for("scratch-reset-after", "scratch-fast") == {"scratch": "scratch-reset-after"}
    assert networks_for("lstm", "scratch-fast") == {"lstm": "lstm"}
    assert networks_for("concise-lstm", "scratch-fast") == {"concise-lstm": "concise-lstm"}
    assert resolve_networks(None, "rnn", "scratch") == {"rnn": "rnn"}


def test_a_list_of_kinds_is_taken_as_it_is_and_named_by_cell():
    assert resolve_networks(["scratch-fast", "concise", "rnn", "reset-only", "update-only",
                             "lstm", "concise-lstm"], "scratch", "scratch-fast") == {
        "scratch": "scratch-fast", "concise": "concise", "rnn": "rnn", "reset-only": "reset-only",
        "update-only": "update-only", "lstm": "lstm", "concise-lstm": "concise-lstm"}
    assert resolve_networks(["scratch"], "scratch", "scratch-fast") == {"scratch": "scratch"}
    # two engines of the GRU would both be "scratch": then they are named by kind
    assert resolve_networks(["scratch", "scratch-reset-after", "lstm"], "scratch", "scratch") == {
        "scratch": "scratch", "scratch-reset-after": "scratch-reset-after", "lstm": "lstm"}


def test_the_cells_offered_side_by_side_are_every_network_by_its_name():
    assert set(CELL_NETWORKS) == set(CELL_NAMES)
    assert {network_name(kind) for kind in CELL_NETWORKS.values()} == set(CELL_NETWORKS)
    assert resolve_networks(CELL_NETWORKS, "scratch", "scratch") == CELL_NETWORKS


def test_a_dict_names_the_networks_and_may_repeat_a_kind():
    assert resolve_networks({"a": "lstm", "b": "lstm", "gru": "scratch"}, "scratch",
                            "scratch-fast") == {"a": "lstm", "b": "lstm", "gru": "scratch"}


@pytest.mark.parametrize("networks,message", [
    (["lstm", "rnn", "lstm"],
     r"each model kind may appear once .*lstm more than once.*'a': 'lstm'"),
    (["lstm", "transformer"], "model must be one of"),
    ([], "a run trains 1 to"),
    ({"": "lstm"}, "network names must be non-empty strings"),
    ({f"n{i}": "rnn" for i in range(MAX_NETWORKS + 1)}, f"1 to {MAX_NETWORKS} networks"),
])
def test_bad_networks_are_refused(networks, message):
    with pytest.raises(ValueError, match=message):
        resolve_networks(networks, "scratch", "scratch")


def test_a_string_is_not_a_list_of_kinds():
    with pytest.raises(TypeError, match="use TrainConfig.model for one kind"):
        resolve_networks("lstm", "scratch", "scratch")
    with pytest.raises(ValueError, match="scratch_engine must be one of"):
        resolve_networks(["lstm"], "scratch", "lstm")


FOUR = ["scratch", "concise", "rnn", "lstm"]


def test_a_run_trains_four_cells_in_lockstep_on_identical_batches(make_run):
    run = make_run(networks=FOUR, num_epochs=2, sample_every=1, snapshot_every=1)
    assert list(run.models) == FOUR and run.name == "scratch, concise, rnn, lstm, 8 hiddens"
    assert run.model_kinds == {"scratch": "scratch", "concise": "concise", "rnn": "rnn",
                               "lstm": "lstm"}
    seen = {name: [] for name in FOUR}

    def keep_training_batches(module, args, name):
        # training batches: not the samples' batches of one, not held-out scoring (no grad)
        if torch.is_grad_enabled() and args[0].shape[0] == run.config.batch_size:
            seen[name].append(args[0].clone())
    for name, model in run.models.items():
        model.register_forward_pre_hook(lambda module, args, name=name:
                                        keep_training_batches(module, args, name))
    run.start()
    assert run.wait(WAIT_S) and run.state is RunState.FINISHED
    assert all(len(batches) == run.batch > 10 for batches in seen.values())
    for batches in zip(*seen.values()):
        assert all(torch.equal(batches[0], other) for other in batches[1:])
    metrics = run.metrics()
    for name in FOUR:
        assert [r["epoch"] for r in metrics["epochs"] if r["model"] == name] == [1, 2]
        assert [r["step"] for r in metrics["batches"] if r["model"] == name] == list(
            range(1, run.batch + 1))
        assert [r["epoch"] for r in metrics["samples"] if r["model"] == name] == [1, 2]
    assert run.snapshot()["updates"] == dict.fromkeys(FOUR, run.batch)
    assert all(set(s["state_dicts"]) == set(FOUR) for s in run.param_snapshots())
    assert isinstance(run.snapshot_model("lstm"), ScratchLSTM)


def test_every_network_of_a_run_downloads_as_a_checkpoint_of_its_kind(make_run):
    run = make_run(networks=["rnn", "update-only", "concise-lstm"], num_epochs=1, sample_every=1)
    run.start()
    assert run.wait(WAIT_S)
    for name, kind in run.model_kinds.items():
        checkpoint = load_checkpoint(io.BytesIO(run.checkpoint_bytes(name)))
        assert model_kind(checkpoint.model) == kind == checkpoint.config.model
        assert [r["model"] for r in checkpoint.history.epochs] == [name]
        assert checkpoint.history.samples["1"].startswith("time traveller")
        assert params_equal({name: checkpoint.model.state_dict()},
                            {name: run.snapshot([name])["state_dicts"][name]})


def test_the_same_seed_gives_every_kind_the_same_start_in_any_run(make_run):
    alone = make_run(model="lstm")
    together = make_run(networks=["rnn", "lstm"])
    assert params_equal({"lstm": alone.initial_state_dicts["lstm"]},
                        {"lstm": together.initial_state_dicts["lstm"]})
    assert params_equal(together.initial_state_dicts, together.snapshot()["state_dicts"])


def test_held_out_perplexity_is_recorded_per_network(make_run, small_corpus):
    run = make_run(networks=["scratch", "lstm"], num_epochs=3, sample_every=0, heldout_every=2,
                   heldout_chars=300)
    run.start()
    assert run.wait(WAIT_S)
    scored = [(r["epoch"], r["model"]) for r in run.metrics()["epochs"]
              if r["heldout_perplexity"] is not None]
    assert scored == [(2, "scratch"), (2, "lstm"), (3, "scratch"), (3, "lstm")]
    lstm = [r for r in run.metrics()["epochs"] if r["model"] == "lstm"]
    assert lstm[0]["heldout_perplexity"] is None and 1 < lstm[-1]["heldout_perplexity"] < 29
    config = run.config
    expected = evaluate(run.snapshot_model("lstm"), small_corpus.heldout[:300],
                        config.batch_size, config.num_steps)
    assert lstm[-1]["heldout_perplexity"] == pytest.approx(expected, rel=1e-6)
    reader = RecordsReader().update(run)
    assert [r["epoch"] for r in reader.epochs_of("lstm") if r["heldout_perplexity"]] == [2, 3]

def test_a_lockstep_run_from_d2ls_init_starts_both_networks_from_the_same_numbers(make_run):
    from gru_core.models import concise_from_scratch, make_model
    from gru_core.runs.networks import network_labels
    run = make_run(model="both", concise_init="d2l")
    scratch = make_model("scratch", len(run.corpus.vocab), run.config.num_hiddens, "cpu",
                         run.config.seed)
    scratch.load_state_dict(run.initial_state_dicts["scratch"])
    expected = concise_from_scratch(scratch).state_dict()
    assert all(torch.equal(value, expected[name])
               for name, value in run.initial_state_dicts["concise"].items())
    assert network_labels(run.model_kinds, run.config) == {"scratch": "GRU",
                                                           "concise": "nn.GRU, d2l's init"}
    own = make_run(model="both")
    assert network_labels(own.model_kinds, own.config)["concise"] == CELL_NAMES["concise"]
    assert not torch.equal(own.initial_state_dicts["concise"]["rnn.weight_hh_l0"],
                           run.initial_state_dicts["concise"]["rnn.weight_hh_l0"])
