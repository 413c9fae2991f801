"""Compare with nn.GRU: lockstep curves from one run, the two formulations
side by side, and an equivalence lab that shows where they differ."""
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

RESET_BEFORE_EQUATIONS = r"""
\begin{aligned}
\mathbf{R}_t &= \sigma(\mathbf{X}_t \mathbf{W}_{xr} + \mathbf{H}_{t-1}\mathbf{W}_{hr} + \mathbf{b}_r)\\
\mathbf{Z}_t &= \sigma(\mathbf{X}_t \mathbf{W}_{xz} + \mathbf{H}_{t-1}\mathbf{W}_{hz} + \mathbf{b}_z)\\
\tilde{\mathbf{H}}_t &= \tanh\!\big(\mathbf{X}_t \mathbf{W}_{xh} + {\color{#d62728}(\mathbf{R}_t \odot \mathbf{H}_{t-1})\,\mathbf{W}_{hh}} + \mathbf{b}_h\big)\\
\mathbf{H}_t &= \mathbf{Z}_t \odot \mathbf{H}_{t-1} + (1 - \mathbf{Z}_t) \odot \tilde{\mathbf{H}}_t
\end{aligned}
"""

RESET_AFTER_EQUATIONS = r"""
\begin{aligned}
r_t &= \sigma(W_{ir} x_t + b_{ir} + W_{hr} h_{t-1} + b_{hr})\\
z_t &= \sigma(W_{iz} x_t + b_{iz} + W_{hz} h_{t-1} + b_{hz})\\
n_t &= \tanh\!\big(W_{in} x_t + b_{in} + {\color{#d62728} r_t \odot (W_{hn} h_{t-1} + b_{hn})}\big)\\
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
    st.caption("Both networks read the same batches in the same order; the status line gives "
               "each one's latest perplexity and tokens per second.")


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


def parity_model(run) -> tuple[ConciseGRU, str, object]:
    """The nn.GRU to test: the live run's, a loaded nn.GRU checkpoint, or a fresh one."""
    if run is not None and "concise" in run.models:
        model = live_snapshot(run.id, "concise", live_version(run))
        return model, f"the live run's nn.GRU (epoch {run.epoch})", run.corpus.vocab
    loaded = loaded_checkpoint()
    if loaded is not None and isinstance(loaded[1].model, ConciseGRU):
        return loaded[1].model, f"nn.GRU from checkpoint {loaded[0]}", loaded[1].vocab
    corpus = default_corpus()
    model = fresh_model(tuple(corpus.vocab.idx_to_token), D2L.num_hiddens, D2L.seed,
                        kind="concise")
    return (model, f"a fresh nn.GRU ({D2L.num_hiddens} hiddens, seed {D2L.seed})",
            corpus.vocab)


def equivalence_lab(run) -> None:
    st.subheader("Equivalence lab")
    model, label, vocab = parity_model(run)
    st.markdown(f"Copy the weights of {label} into the from-scratch cell, run both over the "
                f"probe text and compare the hidden states and outputs step by step.")
    text = probe_text()
    probe = encode(text, vocab) if text is not None else None
    if probe is None:
        return
    report = interpret.parity_lab(model, probe.indices)
    worst = report.max_diff
    left, right = st.columns(2)
    left.metric("Reset-after (nn.GRU's convention): max |Δ|", f"{worst['reset-after']:.1e}",
                help="Float rounding: the two compute the same function.")
    right.metric("Reset-before (d2l's cell): max |Δ|", f"{worst['reset-before']:.1e}",
                 help="A different function: R multiplies H before the matmul, and b_hn "
                      "has no place in it.")
    show_chart(figures.parity_figure(report), key="parity")


st.title("Compare with nn.GRU")
run = runs.followed_run()
lockstep_curves(run)
formulations()
equivalence_lab(run)
