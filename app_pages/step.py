"""Step through the math: one character position t, one unit j, every equation
of the cell with the numbers the model actually used, checked against the trace.

Each equation is an ``aligned`` block: the formula, then its numbers, then the
result, one short line each, so none runs off a phone's screen."""
import streamlit as st

from app_ui.display import show_chart
from app_ui.probe import position_picker, probe_page, unit_picker
from gru_core import figures, interpret

CHECK_TOLERANCE = 1e-5  # float32 trace vs float64 recomputation


def gate_equation(symbol: str, letter: str, terms, t: int, j: int) -> str:
    clamped = r"\quad\text{(clamped)}" if terms.clamped else ""
    return (rf"\begin{{aligned}}{symbol}_{{{t},{j}}} &= \sigma\big("
            rf"\underbrace{{x_t W_{{x{letter}}}}}_{{{terms.input_term:+.4f}}}"
            rf" + \underbrace{{H_{{t-1}} W_{{h{letter}}}}}_{{{terms.hidden_term:+.4f}}}"
            rf" + \underbrace{{b_{letter}}}_{{{terms.bias:+.4f}}}\big) \\"
            rf" &= \sigma({terms.pre_activation:+.4f}) = \mathbf{{{terms.value:.4f}}}{clamped}"
            rf"\end{{aligned}}")


def candidate_equation(details, t: int, j: int) -> str:
    c = details.candidate
    if details.reset_after:  # nn.GRU: r * (H W_hh + b_hh)
        recurrent = (rf"\underbrace{{R_{{t,j}}}}_{{{details.reset.value:.4f}}} \cdot"
                     rf"\underbrace{{(H_{{t-1}} W_{{hh}} + b_{{hh}})_j}}_{{{c.recurrent_unreset:+.4f}}}")
    else:  # d2l: (R * H) W_hh
        recurrent = (rf"\underbrace{{\big((R_t \odot H_{{t-1}}) W_{{hh}}\big)_j}}"
                     rf"_{{{c.recurrent_term:+.4f}}}")
    return (rf"\begin{{aligned}}\tilde H_{{{t},{j}}} &= \tanh\big("
            rf"\underbrace{{x_t W_{{xh}}}}_{{{c.input_term:+.4f}}}"
            rf" + \underbrace{{b_h}}_{{{c.bias:+.4f}}} \\ &\qquad + {recurrent}\big) \\"
            rf" &= \tanh({c.pre_activation:+.4f}) = \mathbf{{{c.value:+.4f}}}\end{{aligned}}")


def blend_equation(details, t: int, j: int) -> str:
    z = details.update.value
    return (rf"\begin{{aligned}}H_{{{t},{j}}} &= Z_{{t,j}} H_{{t-1,j}} + (1 - Z_{{t,j}})"
            rf" \tilde H_{{t,j}} \\"
            rf" &= \underbrace{{{z:.4f} \times ({details.previous_hidden:+.4f})}}_{{\text{{keep}}}}"
            rf" \\ &\qquad + \underbrace{{{1 - z:.4f} \times ({details.candidate.value:+.4f})}}"
            rf"_{{\text{{write}}}} \\"
            rf" &= {details.kept_old:+.4f} {details.added_new:+.4f}"
            rf" = \mathbf{{{details.hidden:+.4f}}}\end{{aligned}}")


def show_step(source, probe, trace) -> None:
    length = len(probe.indices)
    left, right = st.columns([3, 1])
    with left:
        t = position_picker(length)
    with right:
        j = unit_picker(source.model.num_hiddens, key="unit", label="Unit j")
    st.html(figures.colored_text_html(probe.chars, trace.hidden[:, j], "hidden",
                                      probe.unknown_positions, highlight=t,
                                      label=f"H[{j}]"))
    details = interpret.step_details(source.model, trace, probe.indices, source.vocab, t, j)
    shown_char = figures.display_char(details.char)
    st.markdown(f"At position **t = {t}** the model reads **'{shown_char}'** (token "
                f"{details.char_index}), so $x_t$ is one-hot and $x_t W$ picks row "
                f"{details.char_index} of each input weight. Previous state "
                f"$H_{{t-1,{j}}} = {details.previous_hidden:+.4f}$.")
    st.latex(gate_equation("Z", "z", details.update, t, j))
    st.latex(gate_equation("R", "r", details.reset, t, j))
    st.latex(candidate_equation(details, t, j))
    st.caption(interpret.reset_note(details.reset_after))
    if not details.reset_after:
        st.caption(f"Without the reset gate unit {j}'s recurrent term would be "
                   f"{details.candidate.recurrent_unreset:+.4f}; R moved it by "
                   f"{details.candidate.reset_change:+.4f}.")
    st.latex(blend_equation(details, t, j))
    st.caption(interpret.UPDATE_GATE_NOTE)
    if details.max_abs_diff <= CHECK_TOLERANCE:
        st.success(f"Checked: these numbers reproduce the model's trace at t = {t}, unit {j} "
                   f"(largest difference {details.max_abs_diff:.1e}, float rounding).",
                   icon=":material/check_circle:")
    else:
        st.error(f"The recomputed numbers differ from the trace by {details.max_abs_diff:.2e}.")
    show_chart(figures.gate_diagram(details), key="gate_diagram")
    st.caption(f"{details.keep_share:.0%} of $H_t$'s magnitude came through the keep path "
               f"$Z \\odot H_{{t-1}}$, {1 - details.keep_share:.0%} through the write path "
               f"$(1-Z) \\odot \\tilde H$. Grey dashed paths carry the whole vector (all "
               f"{details.num_hiddens} units); coloured ones unit {j}'s number.")


st.title("Step through the math")
st.caption("Pick a character and a unit: every equation of the cell, with the numbers the "
           "model used at that step.")
probe_page(show_step, page="step")
