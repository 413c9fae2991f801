"""gru_core.sampling: greedy prediction is d2l's predict_ch8, temperature
sampling follows softmax(logits / T), and a seed means the same everywhere."""
from __future__ import annotations

import pytest
import torch

from gru_core.models import make_model
from gru_core.sampling import predict


@pytest.fixture(scope="module", params=["scratch", "concise"])
def lively(request):
    """A model with large random weights: its greedy text varies from step to
    step (an untrained d2l model would repeat one character)."""
    model = make_model(request.param, 28, 32, seed=0)
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0, 0.6, generator=torch.Generator().manual_seed(p.numel()))
    return model


def d2l_predict_ch8(prefix, num_preds, net, vocab, device):
    """d2l's predict_ch8, line by line."""
    state = net.begin_state(batch_size=1, device=device)
    outputs = [vocab[prefix[0]]]

    def get_input():
        return torch.tensor([outputs[-1]], device=device).reshape((1, 1))
    for y in prefix[1:]:  # Warm-up period
        _, state = net(get_input(), state)
        outputs.append(vocab[y])
    for _ in range(num_preds):  # Predict num_preds steps
        y, state = net(get_input(), state)
        outputs.append(int(y.argmax(dim=1).reshape(1)))
    return ''.join([vocab.idx_to_token[i] for i in outputs])


@pytest.mark.parametrize("prefix", ["time traveller", "traveller", "x"])
def test_greedy_predict_equals_d2l(lively, time_machine, prefix):
    vocab = time_machine.vocab
    ours = predict(prefix, 40, lively, vocab)
    with torch.no_grad():
        assert ours == d2l_predict_ch8(prefix, 40, lively, vocab, torch.device("cpu"))
    assert len(ours) == len(prefix) + 40 and len(set(ours[len(prefix):])) > 3


def test_temperature_sampling_is_reproducible_with_a_seed(lively, time_machine):
    vocab = time_machine.vocab
    first = predict("time traveller", 60, lively, vocab, temperature=1.0, seed=3)
    assert first == predict("time traveller", 60, lively, vocab, temperature=1.0, seed=3)
    assert first != predict("time traveller", 60, lively, vocab, temperature=1.0, seed=4)
    unseeded = {predict("time traveller", 60, lively, vocab, temperature=1.0) for _ in range(3)}
    assert len(unseeded) == 3  # no seed: fresh randomness each call
    assert predict("the", 30, lively, vocab, temperature=0.0, seed=9) == predict("the", 30, lively, vocab)


def test_temperature_samples_follow_softmax_of_logits_over_temperature(lively, time_machine):
    vocab, temperature, draws = time_machine.vocab, 2.0, 400
    with torch.no_grad():
        logits, _ = lively(torch.tensor([[vocab["t"]]]), lively.begin_state(1))
    probs = torch.softmax(logits[0] / temperature, dim=0)
    counts = torch.zeros(len(vocab))
    for seed in range(draws):
        counts[vocab[predict("t", 1, lively, vocab, temperature=temperature, seed=seed)[1]]] += 1
    tolerance = 4 * torch.sqrt(probs * (1 - probs) / draws) + 0.01
    assert torch.all((counts / draws - probs).abs() <= tolerance)


def test_predict_refuses_bad_arguments(lively, time_machine):
    with pytest.raises(ValueError, match="prefix"):
        predict("", 5, lively, time_machine.vocab)
    with pytest.raises(ValueError, match="temperature must be >= 0"):
        predict("a", 5, lively, time_machine.vocab, temperature=-1)


def test_writing_from_the_cell_holds_a_clamp_and_follows_the_seed():
    from gru_core.models import Clamp, GateClamp, ScratchGRU
    from gru_core.sampling import continue_with_cell

    cell = ScratchGRU(28, 16, seed=0)
    with torch.no_grad():
        for p in cell.parameters():
            p.normal_(0, 0.6, generator=torch.Generator().manual_seed(p.numel()))
    hidden = torch.zeros(1, 16)
    logits = cell.output(hidden)[0]
    frozen = Clamp(update_gate=GateClamp(None, 1.0))  # Z = 1: the state never moves
    written = continue_with_cell(cell, hidden, logits, 20, clamp=frozen)
    assert written == [int(logits.argmax())] * 20
    sampled = continue_with_cell(cell, hidden, logits, 30, temperature=1.0, seed=5)
    assert sampled == continue_with_cell(cell, hidden, logits, 30, temperature=1.0, seed=5)
    assert len({tuple(continue_with_cell(cell, hidden, logits, 30, temperature=1.0))
                for _ in range(3)}) == 3  # seed None: fresh draws every time
    with pytest.raises(ValueError, match="whole number >= 0"):
        continue_with_cell(cell, hidden, logits, -1)
