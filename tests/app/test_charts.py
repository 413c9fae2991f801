"""app_ui.charts: the Train page's live figures, built once per interval and
shared by every viewer of a run, with learning-rate changes marked."""
from __future__ import annotations

from types import SimpleNamespace

from app_ui import charts


def small_run():
    return SimpleNamespace(models={"scratch": None}, config=SimpleNamespace(clip_theta=1.0))


def test_live_figures_are_built_once_per_interval_and_shared_by_viewers():
    epoch = {"epoch": 1, "model": "scratch", "perplexity": 20.0, "tokens_per_second": 1e4}
    reader = SimpleNamespace(cursor=1, epochs=[epoch], batches=[], lr_changes=[])
    shared = charts.SharedLiveCharts()
    first = shared.figures_for(small_run(), reader, max_age_s=60)
    reader.cursor = 2  # new records, but the figures are younger than max_age_s
    assert shared.figures_for(small_run(), reader, max_age_s=60) is first and shared.builds == 1
    rebuilt = shared.figures_for(small_run(), reader, max_age_s=0)
    assert rebuilt is not first and shared.builds == 2
    assert shared.figures_for(small_run(), reader, max_age_s=0) is rebuilt  # nothing new
    assert list(rebuilt["ppl_chart"].data[0].y) == [20.0]


def test_learning_rate_changes_are_marked_where_the_new_rate_took_over():
    epochs = [{"epoch": e, "model": "scratch", "perplexity": 20.0 / e, "tokens_per_second": 1e4}
              for e in range(1, 5)]
    # batches 1-100 were dropped from the reader (bounded): the curve starts at step 101
    batches = [{"step": s, "epoch": 1 + s // 50, "model": "scratch", "loss": 2.0,
                "grad_norm": 0.5, "clipped": False, "lr": 1.0} for s in range(101, 201)]
    changes = [{"step": 50, "epoch": 2, "lr": 2.0}, {"step": 151, "epoch": 4, "lr": 0.25}]
    reader = SimpleNamespace(cursor=1, epochs=epochs, batches=batches, lr_changes=changes)
    drawn = charts.SharedLiveCharts.build(small_run(), reader)
    ppl = drawn["ppl_chart"].layout
    assert [(s.x0, a.text) for s, a in zip(ppl.shapes, ppl.annotations)] == [
        (1.5, "lr → 2"), (3.5, "lr → 0.25")]
    loss = drawn["loss_chart"].layout
    assert [(s.x0, a.text) for s, a in zip(loss.shapes, loss.annotations)] == [(51, "lr → 0.25")]
    assert not drawn["speed_chart"].layout.shapes and not drawn["grad_chart"].layout.shapes
