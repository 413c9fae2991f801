"""gru_core.config: d2l's defaults, the one limit check, and the settings table
the CLI and the app derive from."""
from __future__ import annotations

import pytest
import torch

from gru_core.config import TrainConfig
from gru_core.models import DeviceError


@pytest.mark.parametrize("field,value", [
    ("lr", 0.0), ("lr", -1.0), ("lr", float("nan")), ("num_hiddens", 0), ("num_hiddens", 2.5),
    ("num_hiddens", True), ("num_steps", 0), ("batch_size", 0), ("batch_size", 5000),
    ("num_epochs", 0), ("clip_theta", 0.0), ("max_tokens", 10), ("model", "transformer"),
    ("seed", -1),
])
def test_validate_names_the_bad_field(field, value):
    with pytest.raises(ValueError, match=rf"^{field} must be"):
        TrainConfig(**{field: value}).validate()


def test_validate_accepts_d2l_defaults_and_refuses_cuda_without_gpu(monkeypatch):
    assert TrainConfig(device="cpu").validate().num_hiddens == 256
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(DeviceError, match="no CUDA GPU"):
        TrainConfig(device="cuda").validate()


def test_config_round_trips_through_dict():
    config = TrainConfig(model="concise", lr=0.5, num_hiddens=64)
    assert TrainConfig.from_dict(config.to_dict() | {"unknown": 1}) == config


def test_one_table_drives_the_cli_flags_and_every_range_check():
    from gru_core.cli import build_parser
    from gru_core.config import LIMITS, SETTINGS, check_limit

    assert set(LIMITS) == {setting.field for setting in SETTINGS}
    defaults = TrainConfig()
    argv = ["train"]
    for setting in SETTINGS:
        value = setting.high if setting.whole else setting.low
        argv += [setting.flag, str(value)]
    args = build_parser().parse_args(argv)
    for setting in SETTINGS:
        parsed = getattr(args, setting.field)
        assert parsed == (setting.high if setting.whole else setting.low), setting.flag
        assert check_limit(setting.field, getattr(defaults, setting.field)) == getattr(defaults, setting.field)
    assert len({s.flag for s in SETTINGS}) == len({s.url_key for s in SETTINGS}) == len(SETTINGS)


@pytest.mark.parametrize("name,value,message", [
    ("lr", 0.0, r"lr must be between 1e-06 and 1e\+07 \(got 0.0\)"),
    ("num_hiddens", 2.5, r"num_hiddens must be a whole number \(got 2.5\)"),
    ("batch_size", True, r"batch_size must be between 1 and 1024 \(got True\)"),
    ("clip_theta", float("inf"), "clip_theta must be between"),
])
def test_check_limit_names_the_setting_and_its_range(name, value, message):
    from gru_core.config import check_limit

    with pytest.raises(ValueError, match=message):
        check_limit(name, value)
    assert check_limit("num_hiddens", 16.0) == 16 and isinstance(check_limit("lr", 1), float)
