"""The chapter's exercise: "Assume that we only want to use the input at time
step t' to predict the output at time step t > t'. What are the best values
for the reset and update gates for each time step?" (d2l, GRU, exercise 1).

As code: the gates are forced step by step (``StepSchedule``, Z and R on every
unit), and ``gate_dependence`` measures how the output at t depends on each
input x_s, s <= t: the norm of the gradient of the output's logits with
respect to the one-hot x_s. ``d2l_answer`` gives the answer and
``check_schedule`` verifies a schedule numerically.

Why the answer's zeros are exact, not merely small (float arithmetic):

- at t', R = 0 makes the candidate read x_t' alone: (R * H) W_hh = 0, and the
  gradient it sends to H is R * (...) = 0;
- at t', Z = 0 drops the old state: the keep path's gradient is Z * dH = 0;
- for t' < s <= t, Z = 1 keeps the state: H_s = 1 * H_{s-1} + 0 * H~_s, and
  (1 - Z) is exactly 0.0, so H~_s (and with it x_s) gets a gradient of 0;
- a forced gate overwrites the sigmoid's value, so nothing flows back through
  the sigmoid it replaced.

What happens before t' does not matter (the reset at t' cuts it off), nor R
after t' (with Z = 1 the candidate is discarded): those steps run free.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ..models import GateTrace, StepSchedule
from .cells import as_indices, check_position, one_hot, readable_cell


def d2l_answer(source: int, target: int, dont_care: float | None = None) -> StepSchedule:
    """The answer for "only x_source predicts the output at target": at
    ``source`` Z = 0 and R = 0; after it, up to ``target``, Z = 1. The other
    gates (every gate before ``source``, R after it) do not matter: they run
    free (None) or, with ``dont_care``, are forced to that value."""
    _check_steps(source, target)
    update = [dont_care] * source + [0.0] + [1.0] * (target - source)
    reset = [dont_care] * source + [0.0] + [dont_care] * (target - source)
    return StepSchedule(tuple(update), tuple(reset))


# Schedules a student may start from, by name; only the first is the answer.
PRESETS = ("d2l's answer", "no forcing", "always keep (Z = 1)", "always write (Z = 0, R = 1)",
           "reset at t′ only (R = 0)", "write at t′ only (Z = 0), then keep")


def preset_schedule(name: str, source: int, target: int) -> StepSchedule:
    """One of ``PRESETS`` for steps 0..target."""
    _check_steps(source, target)
    steps = target + 1
    at_source = [s == source for s in range(steps)]
    schedules = {
        PRESETS[0]: lambda: d2l_answer(source, target),
        PRESETS[1]: lambda: StepSchedule(),
        PRESETS[2]: lambda: StepSchedule((1.0,) * steps),
        PRESETS[3]: lambda: StepSchedule((0.0,) * steps, (1.0,) * steps),
        PRESETS[4]: lambda: StepSchedule((), tuple(0.0 if here else None for here in at_source)),
        PRESETS[5]: lambda: StepSchedule(tuple(None if s < source else 0.0 if s == source
                                               else 1.0 for s in range(steps))),
    }
    if name not in schedules:
        raise ValueError(f"schedule must be one of {', '.join(PRESETS)} (got '{name}')")
    return schedules[name]()


@dataclass
class GateDependence:
    """How the output (the logits) at ``target`` depends on each input x_s,
    s = 0..target, with the gates forced by ``schedule``. ``dependence[s]`` is
    the norm of d logits_target / d x_s (float64): exactly 0.0 where no path
    is left. ``trace`` shows the gates the cell ran with."""
    target: int
    dependence: np.ndarray
    schedule: StepSchedule
    trace: GateTrace

    @property
    def share(self) -> np.ndarray:
        """Each input's share of the total dependence (sums to 1, or all 0)."""
        total = self.dependence.sum()
        return self.dependence / total if total > 0 else np.zeros_like(self.dependence)

    @property
    def depends_on(self) -> np.ndarray:
        """The steps whose input the output depends on at all."""
        return np.flatnonzero(self.dependence != 0.0)

    def describe(self) -> str:
        """One sentence on what the numbers show."""
        used, total = self.depends_on, len(self.dependence)
        if len(used) == 0:
            return (f"The output at step {self.target} depends on none of the {total} inputs: "
                    f"the forced gates cut every path from the text to it.")
        top = int(used[np.argmax(self.dependence[used])])
        largest = f"x_{top} has the largest share ({self.share[top]:.0%})"
        if total == 1:
            return f"The output at step {self.target} depends on its only input, x_0."
        if len(used) == total:
            return f"The output at step {self.target} depends on all {total} inputs; {largest}."
        unused = total - len(used)
        rest = (f"the other {unused}" if unused > 1 else "the remaining one")
        return (f"The output at step {self.target} depends on {len(used)} of the {total} "
                f"inputs ({_steps(used)}); {largest}, and it is exactly independent of {rest}.")


def gate_dependence(model: nn.Module, indices, target: int,
                    schedule: StepSchedule = StepSchedule()) -> GateDependence:
    """The dependence of the output at ``target`` on every earlier input, with
    the gates forced by ``schedule`` (any GRU; d2l's reset-before cell is the
    exercise's). One backward pass: one batch row per output logit, each row
    back-propagating only its own logit, gives the whole Jacobian."""
    if not isinstance(schedule, StepSchedule):
        raise TypeError(f"schedule must be a StepSchedule, got {type(schedule).__name__}")
    cell = readable_cell(model)
    indices = as_indices(indices, cell.vocab_size)
    t = check_position("target", target, len(indices))
    rows = cell.vocab_size
    inputs = one_hot(indices[:t + 1], cell).to(cell.W_xz.dtype).repeat(rows, 1, 1)
    inputs.requires_grad_(True)
    H, = cell.begin_state(rows)
    for s in range(t + 1):
        _, _, _, H = cell.cell(inputs[:, s], H, schedule.at(s))
    logits = cell.output(H)                           # (row, logit)
    gradient, = torch.autograd.grad(logits.diagonal().sum(), inputs)
    dependence = gradient.double().pow(2).sum(dim=(0, 2)).sqrt().cpu().numpy()
    trace = cell.trace(indices[:t + 1].tolist(), clamp=schedule)
    return GateDependence(t, dependence, schedule, trace)


@dataclass
class ScheduleCheck:
    """Whether a schedule makes the output at ``target`` depend on x_source
    and on nothing else, checked numerically."""
    source: int
    result: GateDependence
    leaks: np.ndarray            # steps other than source the output still depends on

    @property
    def uses_source(self) -> bool:
        return bool(self.result.dependence[self.source] != 0.0)

    @property
    def passed(self) -> bool:
        return self.uses_source and len(self.leaks) == 0

    def describe(self) -> str:
        t, source = self.result.target, self.source
        if self.passed:
            others = (f", and exactly 0.0 on each of the other {t} inputs" if t > 1 else
                      ", and exactly 0.0 on the other input" if t == 1 else
                      "; there is no other input yet")
            return (f"Only x_{source} reaches the output at step {t}: its dependence is "
                    f"{self.result.dependence[source]:.3g}{others}.")
        problems = []
        if len(self.leaks):
            worst = int(self.leaks[np.argmax(self.result.dependence[self.leaks])])
            verb = "inputs leak" if len(self.leaks) > 1 else "input leaks"
            problems.append(f"{len(self.leaks)} other {verb} in ({_steps(self.leaks)}; "
                            f"x_{worst} the most, {self.result.share[worst]:.0%} of the total)")
        if not self.uses_source:
            problems.append(f"x_{source} itself does not reach it")
        return f"Not yet: at step {t}, " + " and ".join(problems) + "."


def check_schedule(model: nn.Module, indices, source: int, target: int,
                   schedule: StepSchedule | None = None) -> ScheduleCheck:
    """Check ``schedule`` (None: ``d2l_answer``) against the exercise."""
    _check_steps(source, target)
    schedule = d2l_answer(source, target) if schedule is None else schedule
    result = gate_dependence(model, indices, target, schedule)
    others = np.delete(np.arange(len(result.dependence)), source)
    return ScheduleCheck(source, result, others[result.dependence[others] != 0.0])


def explain_answer(source: int, target: int) -> list[str]:
    """d2l's answer step by step, for the page to reveal."""
    _check_steps(source, target)
    lines = []
    if source > 0:
        lines.append(f"Steps 0–{source - 1}: any gates. Whatever the state holds before "
                     f"step {source} is dropped there.")
    lines.append(f"Step {source} (t′): R = 0, so the candidate H̃ = tanh(x_{source} W_xh + b_h) "
                 f"reads x_{source} alone; Z = 0, so H_{source} = H̃: the old state is dropped.")
    if target > source:
        lines.append(f"Steps {source + 1}–{target}: Z = 1, so H_s = H_(s−1): the state "
                     f"holding x_{source} is kept and every later input is ignored (R does "
                     f"not matter: the candidate is discarded).")
    return lines


def _check_steps(source: int, target: int) -> None:
    if not (isinstance(source, (int, np.integer)) and isinstance(target, (int, np.integer))
            and 0 <= source <= target):
        raise ValueError(f"need whole steps 0 <= t′ <= t (got t′={source!r}, t={target!r})")


def _steps(steps: np.ndarray, shown: int = 6) -> str:
    names = [f"x_{int(s)}" for s in steps[:shown]]
    return ", ".join(names) + (f" and {len(steps) - shown} more" if len(steps) > shown else "")
