"""gru_core.runs.restarts: a new run from the very initial weights of an
earlier one, with one setting changed, and the words for what differed."""
from __future__ import annotations

import pytest

from gru_core.config import TrainConfig
from gru_core.runs import Run, RunState, describe_difference, plan_restart, run_labels

from .common import WAIT_S, params_equal, tiny_config

NETWORKS = ["scratch", "lstm"]


def finished(run: Run) -> Run:
    run.start()
    assert run.wait(WAIT_S) and run.state is RunState.FINISHED
    return run


def perplexities(run: Run) -> list[tuple]:
    return [(r["model"], r["epoch"], r["perplexity"]) for r in run.metrics()["epochs"]]


def test_describe_difference_names_what_changed():
    base = TrainConfig()
    assert describe_difference(base, TrainConfig(lr=0.5)) == "lr 1 → 0.5"
    assert describe_difference(base, TrainConfig(num_hiddens=128, clip_theta=0.1)) == (
        "hiddens 256 → 128, clip θ 1 → 0.1")
    assert describe_difference(base, TrainConfig(use_random_iter=True)) == (
        "sampling sequential → random")
    assert describe_difference(base, TrainConfig(max_tokens=20000)) == (
        "characters 10,000 → 20,000")
    assert describe_difference(base, TrainConfig()) == "same settings"


def test_a_restart_starts_from_the_same_weights_with_the_new_setting(make_run, small_corpus):
    first = finished(make_run(networks=NETWORKS, num_epochs=2, heldout_every=1))
    plan = plan_restart(first, lr=0.5)
    assert plan.config.lr == 0.5 and plan.networks == first.model_kinds
    assert plan.same_start.difference == "lr 1 → 0.5" and plan.same_start.note == ""
    assert plan.run_options["heldout_every"] == 1
    second = make_run(networks=plan.networks, same_start=plan.same_start, lr=0.5, num_epochs=2)
    assert second.difference == "lr 1 → 0.5" and second.same_start.parent_id == first.id
    assert params_equal(second.initial_state_dicts, first.initial_state_dicts)
    assert params_equal(second.snapshot()["state_dicts"], first.initial_state_dicts)
    finished(second)
    assert perplexities(second) != perplexities(first)


def test_a_restart_changing_nothing_repeats_the_run_exactly(make_run):
    first = finished(make_run(networks=NETWORKS, num_epochs=2))
    plan = plan_restart(first)
    assert plan.same_start.difference == "same settings"
    again = finished(Run(plan.config, plan.corpus, networks=plan.networks,
                         same_start=plan.same_start, **plan.run_options))
    assert perplexities(again) == perplexities(first)
    assert params_equal(again.snapshot()["state_dicts"], first.snapshot()["state_dicts"])


def test_a_restart_from_weights_other_than_the_seeds_keeps_them(make_run):
    first = make_run(networks=NETWORKS)
    twice = plan_restart(first, clip_theta=0.5)
    second = make_run(networks=twice.networks, same_start=twice.same_start, clip_theta=0.5)
    third_plan = plan_restart(second, lr=0.25)   # a restart of a restart: still the first start
    assert params_equal(third_plan.same_start.state_dicts, first.initial_state_dicts)
    assert third_plan.same_start.difference == "lr 1 → 0.25"


def test_a_new_hidden_size_falls_back_to_the_same_seed_and_says_so(make_run):
    first = make_run(networks=NETWORKS)
    plan = plan_restart(first, num_hiddens=12)
    assert plan.same_start.state_dicts == {}
    assert plan.same_start.note == (
        "hiddens 8 → 12: the initial weights of scratch, lstm cannot be reused (their shapes "
        "change), so they start from the fresh weights of the same seed (0) instead.")
    second = make_run(networks=plan.networks, same_start=plan.same_start, num_hiddens=12)
    seeded = make_run(networks=NETWORKS, num_hiddens=12)
    assert params_equal(second.initial_state_dicts, seeded.initial_state_dicts)


def test_more_characters_recut_the_same_text(make_run, small_corpus):
    first = make_run(networks=["rnn"])
    plan = plan_restart(first, max_tokens=500)
    assert len(plan.corpus.indices) == 500 and plan.corpus.vocab is small_corpus.vocab
    assert plan.corpus.indices == small_corpus.indices[:500]
    assert plan.same_start.state_dicts.keys() == {"rnn"}


@pytest.mark.parametrize("changes,message", [
    ({"seed": 3}, "keeps the seed"), ({"model": "lstm"}, "keeps the model"),
    ({"colour": 1}, "unknown settings colour"), ({"lr": 0.0}, "lr must be between"),
])
def test_changes_a_restart_cannot_make(make_run, changes, message):
    with pytest.raises(ValueError, match=message):
        plan_restart(make_run(), **changes)


def test_the_registry_restarts_and_lists_a_sessions_runs_after_a_reload(registry,
                                                                        small_corpus):
    reg = registry()
    mine = reg.create(tiny_config(), small_corpus, owner="session-secret",
                      networks=NETWORKS, scratch_engine="scratch")
    theirs = reg.create(tiny_config(), small_corpus, owner="other-secret")
    anonymous = reg.create(tiny_config(), small_corpus)
    restarted = reg.restart(mine.run_id, owner="session-secret", clip_theta=0.1)
    assert restarted.run.difference == "clip θ 1 → 0.1"
    assert restarted.run.config.clip_theta == 0.1 and list(restarted.run.models) == NETWORKS
    assert params_equal(restarted.run.initial_state_dicts, mine.run.initial_state_dicts)
    # a reload: the session has only its owner key, and gets its runs (and control) back
    back = reg.owned("session-secret")
    assert [control.run_id for control in back] == [mine.run_id, restarted.run_id]
    back[1].step_batch().wait(WAIT_S)
    assert back[1].run.wait_idle(WAIT_S) and back[1].run.batch == 1
    assert [c.run_id for c in reg.owned("other-secret")] == [theirs.run_id]
    assert reg.owned("") == [] and reg.owned("session") == []
    assert {run.id for run in reg.list_runs()} == {mine.run_id, theirs.run_id,
                                                   anonymous.run_id, restarted.run_id}
    reg.release(mine.run_id)
    assert [c.run_id for c in reg.owned("session-secret")] == [restarted.run_id]


def test_a_sessions_runs_are_labelled_by_what_differs_from_the_first(make_run):
    first = make_run(networks=NETWORKS)
    plan = plan_restart(first, lr=0.5)
    lower_lr = make_run(networks=plan.networks, same_start=plan.same_start, lr=0.5)
    plan = plan_restart(lower_lr, num_hiddens=12)
    wider = make_run(networks=plan.networks, same_start=plan.same_start, lr=0.5, num_hiddens=12)
    fresh = make_run(networks=NETWORKS, clip_theta=0.1)
    assert list(run_labels([first, lower_lr, wider, fresh]).values()) == [
        "first run (8 hiddens, lr 1)", "lr 1 → 0.5 (same start)",
        "lr 1 → 0.5, hiddens 8 → 12 (same seed)", "clip θ 1 → 0.1 (new start)"]
