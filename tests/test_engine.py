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
    finally:
        torch.set_num_threads(before_threads)
        kernels.use_path(before_path)


@pytest.mark.parametrize("threads", [0, 1.5, "2"])
def test_configure_refuses_a_bad_thread_count(threads):
    with pytest.raises(ValueError, match="threads must be a whole number >= 1"):
        engine.configure(threads=threads)
