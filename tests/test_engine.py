"""gru_core.engine: the one explicit call that sets the process-wide policy."""
from __future__ import annotations

import pytest
import torch

from gru_core import engine
from gru_core.models import kernels


def test_configure_sets_threads_and_kernel_path_and_reports_them():
    before_threads, before_path = torch.get_num_threads(), kernels.active_path()
    try:
        settings = engine.configure(threads=1, kernel_path="torch")
        assert settings.threads == torch.get_num_threads() == 1
        assert settings.kernel_path == kernels.active_path() == "torch"
        assert "1 torch thread, kernel path torch" in settings.describe()
        assert engine.configure().kernel_path == "torch"  # None keeps the choice
        assert engine.configure(kernel_path="auto").kernel_path == "auto"
    finally:
        torch.set_num_threads(before_threads)
        kernels.use_path(before_path)
        engine.flush_denormals(False)


def flushed() -> bool:
    return float(torch.tensor([1e-39]) * 1.0) == 0.0


def test_denormals_are_flushed_on_this_thread_and_threads_it_starts():
    import threading
    try:
        settings = engine.configure()
        if not settings.denormals_flushed:
            pytest.skip("this CPU has no flush-to-zero mode")
        assert flushed() and "denormals flushed" in settings.describe()
        seen = []
        thread = threading.Thread(target=lambda: seen.append(flushed()))
        thread.start()
        thread.join()
        assert seen == [True]
        assert not engine.configure(flush_denormal=False).denormals_flushed and not flushed()
    finally:
        engine.flush_denormals(False)


def test_the_kernel_report_is_reachable_from_the_engine():
    assert isinstance(engine.kernel_report(), engine.KernelReport)
    assert engine.kernel_summary().startswith("Fast engine kernels")


@pytest.mark.parametrize("threads", [0, 1.5, "2"])
def test_configure_refuses_a_bad_thread_count(threads):
    with pytest.raises(ValueError, match="threads must be a whole number >= 1"):
        engine.configure(threads=threads)
