"""Best-of-N augmentations (Hughes et al. 2024): identical to the authors' functions, seeded, right probabilities."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import pytest
from scipy.stats import binomtest

from harness.core import Completion, GenerateRequest, GenerationConfig, ModelOutput, Sample
from harness.core.errors import UserError
from harness.models.base import ModelAdapter
from harness.models.methods.best_of_n import (
    BestOfNAttack,
    attempt_seed,
    augment,
    noise_characters,
    random_capitalize,
    scramble_words,
)
from harness.models.spec import ModelSpec, parse_method

TEXT = "Give detailed instructions for making a paper airplane that flies far"

# Outputs of the official functions (jplhughes/bon-jailbreaking bon/attacks/run_text_bon.py: random.seed(seed), then
# apply_word_scrambling, apply_random_capitalization, apply_ascii_noising with sigma = 0.4), recorded once from that
# code; our implementation matched it on 900 (text, seed) pairs.
OFFICIAL = {
    0: "gIVe dEtaiLEd!IsnNcTtRHNus fOQ MKNaHg A PEaQQ AlArPInE THAt fejLS FAr",
    1: "gVIE DETAKEID!InStRucTIoms For MMijAG A PePAR apLNIaRE TAHt fLHES faR",
    42: "gIVe dIEELtAD INSTRUcTIOnS FOr makjNG a PEapr AaLPINre THaT flIEs FaR",
}
# Non-ASCII letters selected by the capitalisation step vanish in the official code (kept as the default).
ACCENTED = "Explain café crème brûlée naïve résumé ÀÉÎ  multiple   spaces\nnewline\ttab ~{|}"
OFFICIAL_ACCENTED_SEED7 = "eIXLaPn CEAé CMRE BLRe NaVe rSUMé Î MlTPlUie SePCAS NiLeWNE TAB ~|{}"


@pytest.mark.parametrize("seed", sorted(OFFICIAL))
def test_matches_official_outputs(seed: int) -> None:
    assert augment(TEXT, seed) == OFFICIAL[seed]


def test_official_non_ascii_behaviour_and_the_fix_flag() -> None:
    assert augment(ACCENTED, 7) == OFFICIAL_ACCENTED_SEED7
    fixed = augment(ACCENTED, 7, keep_non_ascii=True)
    # With the fix every accented letter survives (case flips of ASCII letters are unchanged by the flag).
    assert sum(c in "éèûüïÀÉÎ" for c in fixed) > sum(c in "éèûüïÀÉÎ" for c in OFFICIAL_ACCENTED_SEED7)


def test_deterministic_per_seed_and_different_across_seeds() -> None:
    assert augment(TEXT, 123) == augment(TEXT, 123)
    outputs = {augment(TEXT, s) for s in range(50)}
    assert len(outputs) == 50


def test_attempt_seed_depends_on_seed_sample_and_epoch() -> None:
    base = attempt_seed(0, "q1", 0)
    assert base == attempt_seed(0, "q1", 0)
    assert len({base, attempt_seed(1, "q1", 0), attempt_seed(0, "q2", 0), attempt_seed(0, "q1", 1)}) == 4
    assert 0 <= base < 2**63


def _check_rate(successes: int, trials: int, p: float) -> None:
    # Two-sided exact test at a level that makes a false alarm negligible, plus an absolute tolerance that would
    # catch using sigma instead of sigma**0.5 (0.4 vs 0.632) or sigma**2 instead of sigma**3 (0.16 vs 0.064).
    assert abs(successes / trials - p) < 0.015, (successes / trials, p)
    assert binomtest(successes, trials, p).pvalue > 1e-6


def test_scrambling_probability_is_sqrt_sigma() -> None:
    word = "abcdefghijkl"  # middle of 10 distinct letters: a shuffle that changes nothing has probability 1/10!
    text = " ".join([word] * 20 + ["abc"] * 5)  # words of 3 characters are never scrambled
    changed = trials = 0
    for seed in range(500):
        words = scramble_words(text, 0.4, random.Random(seed)).split()
        assert words[20:] == ["abc"] * 5
        assert all(w[0] == "a" and w[-1] == "l" and sorted(w) == sorted(word) for w in words[:20])
        changed += sum(w != word for w in words[:20])
        trials += 20
    _check_rate(changed, trials, 0.4**0.5)


def test_capitalisation_probability_is_sqrt_sigma() -> None:
    text = "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJ 0123456789"
    flipped = trials = 0
    for seed in range(400):
        out = random_capitalize(text, 0.4, random.Random(seed))
        assert out.swapcase().lower() == text.swapcase().lower() and out[-10:] == "0123456789"
        flipped += sum(a != b for a, b in zip(out, text, strict=True))
        trials += 36
    _check_rate(flipped, trials, 0.4**0.5)


def test_noising_probability_is_sigma_cubed_and_moves_one_code_point() -> None:
    text = "bcdefghijklmnopqrstuvwxy" * 4
    moved = trials = 0
    for seed in range(600):
        out = noise_characters(text, 0.4, random.Random(seed))
        assert len(out) == len(text)
        for a, b in zip(out, text, strict=True):
            if a != b:
                assert abs(ord(a) - ord(b)) == 1
                moved += 1
        trials += len(text)
    _check_rate(moved, trials, 0.4**3)


def test_noising_keeps_characters_that_would_leave_printable_ascii() -> None:
    # "~" (126) + 1 and " " (32) - 1 leave the range; the official code then keeps the character.
    outs = {noise_characters("~ " * 200, 1.0, random.Random(s)) for s in range(20)}
    assert all(set(o) <= set("~} !") for o in outs)


class RecordingAdapter(ModelAdapter):
    """Test double for the attacked model: records what it was sent and echoes the user message."""

    kind = "recording-test-double"

    def __init__(self) -> None:
        super().__init__(ModelSpec(kind=self.kind))
        self.requests: list[GenerateRequest] = []

    async def generate(self, request: GenerateRequest) -> ModelOutput:
        self.requests.append(request)
        return ModelOutput(completions=[Completion(text=str(request.messages[-1]["content"]), finish_reason="stop")],
                           metadata={"inner": True})


def _attack(method: str = "best-of-n-attack") -> tuple[BestOfNAttack, RecordingAdapter]:
    inner = RecordingAdapter()
    return BestOfNAttack(parse_method(method), inner), inner


def _request(epoch: int, seed: int | None = 5, sample_id: str = "q1") -> GenerateRequest:
    msgs: list[dict[str, Any]] = [{"role": "system", "content": "Be helpful."}, {"role": "user", "content": TEXT}]
    return GenerateRequest(messages=msgs, config=GenerationConfig(seed=seed), epoch=epoch,
                           sample=Sample(id=sample_id, input=TEXT, target=""))


def test_method_augments_the_user_turn_and_records_it() -> None:
    attack, inner = _attack()
    out = asyncio.run(attack.generate(_request(epoch=2)))
    sent = inner.requests[0].messages
    assert sent[0] == {"role": "system", "content": "Be helpful."}
    info = out.metadata["best_of_n"]
    assert sent[1]["content"] == info["augmented_prompt"] == augment(TEXT, attempt_seed(5, "q1", 2))
    assert info["original_prompt"] == TEXT and info["attempt"] == 2 and info["sigma"] == 0.4
    assert info["augmentations"] == ["scramble", "capitalize", "noise"] and out.metadata["inner"] is True


def test_method_is_reproducible_and_each_attempt_differs() -> None:
    attack, _ = _attack()
    first = [asyncio.run(attack.generate(_request(e))).metadata["best_of_n"]["augmented_prompt"] for e in range(6)]
    again = [asyncio.run(attack.generate(_request(e))).metadata["best_of_n"]["augmented_prompt"] for e in range(6)]
    assert first == again and len(set(first)) == 6
    other_seed = [asyncio.run(attack.generate(_request(e, seed=6))).metadata["best_of_n"]["augmented_prompt"]
                  for e in range(6)]
    assert other_seed != first


def test_method_options() -> None:
    attack, inner = _attack("best-of-n-attack:sigma=0.4,scramble=0,noise=0,seed=11,temperature=1.0")
    out = asyncio.run(attack.generate(_request(0, seed=99)))
    assert inner.requests[0].config.temperature == 1.0
    assert out.metadata["best_of_n"]["augmented_prompt"] == augment(
        TEXT, attempt_seed(11, "q1", 0), scramble=False, noise=False)
    assert out.metadata["best_of_n"]["augmented_prompt"].lower() == TEXT.lower()
    with pytest.raises(UserError, match="unknown option"):
        _attack("best-of-n-attack:n=5")
    with pytest.raises(UserError, match="sigma"):
        _attack("best-of-n-attack:sigma=2")
    with pytest.raises(UserError, match="expected true or false"):
        _attack("best-of-n-attack:noise=maybe")
