"""Step through the math: every equation with the model's numbers, checked
against the trace, and the diagram of where H_t came from."""
from __future__ import annotations

from .common import assert_clean, figures_by_title, new_app, texts


def test_step_page_checks_its_numbers_and_draws_the_diagram(registry):
    at = new_app(t="12", unit="3").run()
    at.switch_page("app_pages/step.py").run()
    assert_clean(at)
    assert "Checked: these numbers reproduce the model's trace at t = 12, unit 3" \
        in texts(at.success)
    assert len(at.latex) == 4  # Z, R, H̃ and the blend
    diagram, = [spec for title, spec in figures_by_title(at).items()
                if title.startswith("Step 12, unit 3")]
    assert {trace["mode"] for trace in diagram["data"]} >= {"lines", "markers+text"}
