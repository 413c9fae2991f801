"""Faults injected through public surfaces, for tests that check a failing
run ends alone: a run's trainers (``Run.trainers``) get a ``train_batch``
that raises, before the run starts."""
from __future__ import annotations

from gru_core.runs import Run, RunControl, RunRegistry

FAULT_MESSAGE = "injected fault in the training thread"


def fail_in_second_batch(run: Run) -> None:
    """Every network of ``run`` raises RuntimeError(FAULT_MESSAGE) in its
    training thread once it has trained one batch of an epoch."""
    for trainer in run.trainers.values():
        def faulty(X, Y, trainer=trainer, real=trainer.train_batch):
            if trainer.num_tokens > 0:
                raise RuntimeError(FAULT_MESSAGE)
            return real(X, Y)
        trainer.train_batch = faulty


class FaultyRegistry(RunRegistry):
    """A run registry whose runs of ``fail_hiddens`` hidden units fail in
    their training thread (None: none fail)."""

    def __init__(self, fail_hiddens: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.fail_hiddens = fail_hiddens

    def create(self, config, corpus, **run_kwargs) -> RunControl:
        control = super().create(config, corpus, **run_kwargs)
        if config.num_hiddens == self.fail_hiddens:
            fail_in_second_batch(control.run)
        return control
