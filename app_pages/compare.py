"""Compare with nn.GRU: lockstep curves from one run, the two formulations
side by side, and an equivalence lab that shows where they differ."""
from pathlib import Path

import streamlit as st

from app_ui import runs
from app_ui.checkpoints import loaded_checkpoint
from app_ui.corpora import default_corpus
from app_ui.display import presenting, show_chart
from app_ui.live_view import live_view
from app_ui.probe import encode, probe_text
from app_ui.sources import fresh_model, live_snapshot, live_version
from gru_core import figures, interpret
from gru_core.config import D2L
from gru_core.models import ConciseGRU

REPO = Path(__file__).resolve().parents[1]
INIT_RESULTS = REPO / "bench" / "results" / "compare_init.md"

RESET_BEFORE_EQUATIONS = r"""
\begin{aligned}
\mathbf{R}_t &= \sigma(\mathbf{X}_t \mathbf{W}_{xr} + \mathbf{H}_{t-1}\mathbf{W}_{hr}\\
&\qquad + \mathbf{b}_r)\\
\mathbf{Z}_t &= \sigma(\mathbf{X}_t \mathbf{W}_{xz} + \mathbf{H}_{t-1}\mathbf{W}_{hz}\\
&\qquad + \mathbf{b}_z)\\
\tilde{\mathbf{H}}_t &= \tanh\!\big(\mathbf{X}_t \mathbf{W}_{xh} + \mathbf{b}_h\\
&\qquad + {\color{#d62728}(\mathbf{R}_t \odot \mathbf{H}_{t-1})\,\mathbf{W}_{hh}}\big)\\
\mathbf{H}_t &= \mathbf{Z}_t \odot \mathbf{H}_{t-1}\\
&\quad + (1 - \mathbf{Z}_t) \odot \tilde{\mathbf{H}}_t
\end{aligned}
"""

RESET_AFTER_EQUATIONS = r"""
\begin{aligned}
r_t &= \sigma(W_{ir} x_t + b_{ir}\\
&\qquad + W_{hr} h_{t-1} + b_{hr})\\
z_t &= \sigma(W_{iz} x_t + b_{iz}\\
&\qquad + W_{hz} h_{t-1} + b_{hz})\\
n_t &= \tanh\!\big(W_{in} x_t + b_{in}\\
&\qquad + {\color{#d62728} r_t \odot (W_{hn} h_{t-1} + b_{hn})}\big)\\
h_t &= (1 - z_t) \odot n_t + z_t \odot h_{t-1}
\end{aligned}
"""


def lockstep_curves(run) -> None:
    st.subheader("Lockstep training: same batches, same order")
    if run is None or len(run.models) < 2:
        st.info("Start a run with **Model: Both, in lockstep** on the Train page to see the "
                "from-scratch GRU and nn.GRU trained side by side on identical batches.")
        return

    live_view(run.id, panels=("curves",), present=presenting(), key="compare_live")
    start = ("from the same initial weights (d2l's): what differs is the formulation alone"
             if run.config.concise_init == "d2l" else
             "each from its own initialisation (below: why that matters)")
    st.caption(f"Both networks read the same batches in the same order, {start}. The status "
               f"line gives each one's latest perplexity and tokens per second.")


def why_faster() -> None:
    """Why nn.GRU learns faster on the same batches: measured, not guessed."""
    st.subheader("Why nn.GRU learns faster here")
    st.markdown(
        "Two things differ: the **initialisation** (PyTorch draws every nn.GRU weight from "
        "U(−1/√n, 1/√n), ±0.0625 for n = 256; d2l draws from N(0, 0.01²)) and the **cell** "
        "(reset after the matmul, with its own bias b_hh). Training nn.GRU from d2l's own "
        "starting weights separates them: it then learns like d2l's cell, so the head start "
        "is the initialisation. Early on the cells cannot differ much: at d2l's start R ≈ 0.5 "
        "in every unit, and (R ⊙ H)W = R ⊙ (HW) when R is the same everywhere.")
    table = measured_table()
    if table:
        if presenting():  # a table's cells take the projector's font; a data grid's do not
            st.table(table)
        else:
            st.dataframe(table, hide_index=True, width="stretch")
        st.caption(f"Measured by `bench/compare_init.py` ({INIT_RESULTS.relative_to(REPO)}): "
                   f"training perplexity / held-out perplexity by epoch, d2l's settings, "
                   f"identical batches.")
    st.page_link("app_pages/train.py", label="Train both from d2l's weights: the formulation "
                 "alone", icon=":material/join_inner:",
                 query_params=runs.setup_query("both", "d2l"),
                 help="Opens Train with both models chosen and nn.GRU starting from the "
                      "from-scratch GRU's initial weights; press Start there.")


def measured_table() -> list[dict] | None:
    """The rows of bench/results/compare_init.md's table (by column name), or
    None when the file is missing."""
    try:
        lines = INIT_RESULTS.read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    cells = [[cell.strip() for cell in line.strip().strip("|").split("|")]
             for line in lines if line.startswith("|") and not line.startswith("|---")]
    if len(cells) < 2:
        return None
    header, *rows = cells
    return [dict(zip(header, row)) for row in rows]


def formulations() -> None:
    st.subheader("Two ways to write the candidate state")
    left, right = st.columns(2)
    with left:
        st.markdown("**d2l's cell: reset-before (R multiplies H before the matmul)**")
        st.latex(RESET_BEFORE_EQUATIONS)
    with right:
        st.markdown("**PyTorch `nn.GRU` / cuDNN: reset-after (R multiplies its result)**")
        st.latex(RESET_AFTER_EQUATIONS)
    st.markdown(
        "The gates agree (PyTorch's two biases add up to d2l's one). The candidate does not: "
        "d2l multiplies the reset gate into $\\mathbf{H}_{t-1}$ *before* the recurrent matmul; "
        "PyTorch multiplies it into the matmul's *result*, which carries its own bias "
        "$b_{hn}$ — a term d2l's cell has no place for. PyTorch also writes the blend with "
        "$z$ and $1-z$ swapped in order only; the roles are the same.")
    for note in (interpret.RESET_BEFORE_NOTE, interpret.RESET_AFTER_NOTE,
                 interpret.UPDATE_GATE_NOTE):
        st.caption(note)


def parity_model(run) -> tuple[ConciseGRU, str, object, object]:
    """The nn.GRU to test (the live run's, a loaded nn.GRU checkpoint, or a
    fresh one), its label, vocabulary and training text's clean-up."""
    if run is not None and "concise" in run.models:
        model = live_snapshot(run.id, "concise", live_version(run))
        return (model, f"the live run's nn.GRU (epoch {run.epoch})", run.corpus.vocab,
                run.corpus.cleanup)
    loaded = loaded_checkpoint()
    if loaded is not None and isinstance(loaded[1].model, ConciseGRU):
        checkpoint = loaded[1]
        return (checkpoint.model, f"nn.GRU from checkpoint {loaded[0]}", checkpoint.vocab,
                checkpoint.cleanup)
    corpus = default_corpus()
    model = fresh_model(tuple(corpus.vocab.idx_to_token), D2L.num_hiddens, D2L.seed,
                        kind="concise")
    return (model, f"a fresh nn.GRU ({D2L.num_hiddens} hiddens, seed {D2L.seed})",
            corpus.vocab, corpus.cleanup)


def equivalence_lab(run) -> None:
    st.subheader("Equivalence lab")
    model, label, vocab, cleanup = parity_model(run)
    st.markdown(f"Copy the weights of {label} into the from-scratch cell, run both over the "
                f"probe text and compare the hidden states and outputs step by step.")
    text = probe_text()
    probe = encode(text, vocab, cleanup) if text is not None else None
    if probe is None:
        return
    report = interpret.parity_lab(model, probe.indices)
    worst = report.max_diff
    left, right = st.columns(2)
    for column, name, title in ((left, "reset-after", "Reset-after (nn.GRU's convention)"),
                                (right, "reset-before", "Reset-before (d2l's cell)")):
        column.metric(f"{title}: max |Δ|", f"{worst[name]:.1e}",
                      help="Same formula: within the measured float32 rounding at every step."
                      if report.within_rounding(name) else
                      "A different formula: far above the measured rounding level.")
        column.markdown(report.verdict(name))
    st.caption("The dashed line in the figure is the rounding level measured at each step "
               "(nn.GRU rerun in float64); the verdicts compare each cell with that same line.")
    show_chart(figures.parity_figure(report), key="parity")


st.title("Compare with nn.GRU")
run = runs.followed_run()
lockstep_curves(run)
why_faster()
formulations()
equivalence_lab(run)
