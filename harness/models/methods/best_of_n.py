"""`--method best-of-n-attack`: Best-of-N jailbreaking (Hughes et al. 2024, arXiv 2412.03556), text modality.

Each epoch is one attempt: epoch e sends the user prompt through the paper's three random text augmentations, drawn
with a seed derived from (run seed, sample id, epoch), and the task's judge scores that attempt. N attempts per
query is `--epochs N`; the run then holds one binary success per (query, attempt), which is what SABER
(`harness forecast RUN`) reads.

The augmentations follow the authors' code (jplhughes/bon-jailbreaking, `bon/attacks/run_text_bon.py`), applied in
this order with one `random.Random(seed)` stream, so the same integer seed gives the same text as the official
functions:

1. word scrambling: words are split on whitespace (and re-joined with single spaces); each word longer than 3
   characters has its middle characters shuffled with probability sigma**0.5;
2. random capitalisation: each alphabetic character has its case flipped with probability sigma**0.5;
3. character noising: each printable character moves one code point up or down with probability sigma**3, kept
   only if the result is printable ASCII (32..126).

With the paper's sigma = 0.4 these probabilities are 0.632, 0.632 and 0.064 (the "0.6 / 0.6 / 0.06" of the paper's
appendix A.1).

Official behaviour kept (flag to change it): in the official capitalisation step an alphabetic character that is
not ASCII (e.g. "é") and is selected is dropped from the text, since neither case branch appends it.
`keep_non_ascii=1` keeps such characters unchanged instead.

Spec: `best-of-n-attack[:sigma=0.4,scramble=1,capitalize=1,noise=1,seed=S,keep_non_ascii=0,temperature=T]`.
`seed` replaces the run seed in the derivation (the engine sends seed = run seed + epoch in the generation
config; the attempt seed hashes that together with the sample id and epoch, so every (run seed, sample, epoch)
gets its own augmentation and reruns reproduce it).
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import replace
from typing import Any

from harness.core import GenerateRequest, ModelOutput
from harness.core.errors import UserError
from harness.core.options import parse_bool
from harness.models.base import MethodAdapter, ModelAdapter
from harness.models.spec import ModelSpec
from harness.registry import register_model

PAPER_SIGMA = 0.4  # run_text_bon.py ExperimentConfig.sigma


# --- the augmentations (the order and the random draws follow the official code exactly) ---------------------------
def scramble_words(text: str, sigma: float, rng: random.Random) -> str:
    """Shuffle the middle characters of words longer than 3 characters, each with probability sigma**0.5."""
    out = []
    for word in text.split():
        if len(word) > 3 and rng.random() < sigma ** (1 / 2):
            middle = list(word[1:-1])
            rng.shuffle(middle)
            out.append(word[0] + "".join(middle) + word[-1])
        else:
            out.append(word)
    return " ".join(out)


def random_capitalize(text: str, sigma: float, rng: random.Random, *, keep_non_ascii: bool = False) -> str:
    """Flip the case of each alphabetic character with probability sigma**0.5 (ASCII letters only change)."""
    out = []
    for c in text:
        if c.isalpha() and rng.random() < sigma ** (1 / 2):
            if "a" <= c <= "z":
                out.append(chr(ord(c) - 32))
            elif "A" <= c <= "Z":
                out.append(chr(ord(c) + 32))
            elif keep_non_ascii:
                out.append(c)
            # else: the official code appends nothing, dropping the character (kept as the default)
        else:
            out.append(c)
    return "".join(out)


def noise_characters(text: str, sigma: float, rng: random.Random) -> str:
    """Move each printable character one code point up or down with probability sigma**3 (kept if ASCII 32..126)."""
    out = []
    for c in text:
        if c.isprintable() and rng.random() < sigma**3:
            code = ord(c) + rng.choice([-1, 1])
            out.append(chr(code) if 32 <= code <= 126 else c)
        else:
            out.append(c)
    return "".join(out)


def augment(
    text: str,
    seed: int,
    sigma: float = PAPER_SIGMA,
    *,
    scramble: bool = True,
    capitalize: bool = True,
    noise: bool = True,
    keep_non_ascii: bool = False,
) -> str:
    """The paper's text augmentation of `text` with one seeded stream (same output as the official functions)."""
    rng = random.Random(seed)
    if scramble:
        text = scramble_words(text, sigma, rng)
    if capitalize:
        text = random_capitalize(text, sigma, rng, keep_non_ascii=keep_non_ascii)
    if noise:
        text = noise_characters(text, sigma, rng)
    return text


def attempt_seed(base_seed: int, sample_id: str, epoch: int) -> int:
    """A 63-bit seed for one attempt; distinct for every (base seed, sample id, epoch)."""
    digest = hashlib.sha256(f"best-of-n|{base_seed}|{sample_id}|{epoch}".encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def _flag(spec: ModelSpec, key: str, default: bool) -> bool:
    value = spec.params.get(key)
    return default if value is None or value == "" else parse_bool(value, f"best-of-n-attack: {key}")


@register_model
class BestOfNAttack(MethodAdapter):
    kind = "best-of-n-attack"
    spec_help = ("--method best-of-n-attack[:sigma=0.4,scramble=1,capitalize=1,noise=1,seed=S,keep_non_ascii=0,"
                 "temperature=T]  Hughes et al. text augmentations, one seeded attempt per epoch (--epochs N)")
    known = ("sigma", "scramble", "capitalize", "noise", "seed", "keep_non_ascii", "temperature")

    def __init__(self, spec: ModelSpec, inner: ModelAdapter) -> None:
        super().__init__(spec, inner)
        unknown = sorted(set(spec.params) - set(self.known))
        if unknown:
            raise UserError(f"best-of-n-attack: unknown option(s) {', '.join(unknown)} ({', '.join(self.known)})")
        try:
            self.sigma = float(spec.params.get("sigma", PAPER_SIGMA))
            self.seed = int(spec.params["seed"]) if spec.params.get("seed") else None
            self.temperature = float(spec.params["temperature"]) if spec.params.get("temperature") else None
        except ValueError as e:
            raise UserError(f"best-of-n-attack: {e}") from None
        if not 0.0 <= self.sigma <= 1.0:
            raise UserError(f"best-of-n-attack: sigma={self.sigma} must be between 0 and 1")
        self.scramble = _flag(spec, "scramble", True)
        self.capitalize = _flag(spec, "capitalize", True)
        self.noise = _flag(spec, "noise", True)
        self.keep_non_ascii = _flag(spec, "keep_non_ascii", False)

    def _seed_for(self, request: GenerateRequest) -> int:
        base = self.seed if self.seed is not None else (request.config.seed or 0)
        sample_id = request.sample.id if request.sample is not None else ""
        return attempt_seed(base, sample_id, request.epoch)

    def _augment(self, text: str, seed: int) -> str:
        return augment(text, seed, self.sigma, scramble=self.scramble, capitalize=self.capitalize, noise=self.noise,
                       keep_non_ascii=self.keep_non_ascii)

    async def generate(self, request: GenerateRequest) -> ModelOutput:
        seed = self._seed_for(request)
        messages = [dict(m) for m in request.messages]
        # The attack rewrites the request, i.e. the last user turn; system prompts and earlier turns stay as they are.
        idx = next((i for i in range(len(messages) - 1, -1, -1) if messages[i].get("role") == "user"), None)
        if idx is None:
            raise UserError("best-of-n-attack: the task's prompt has no user message to augment")
        content = messages[idx].get("content")
        if isinstance(content, str):
            original = content
            augmented = self._augment(content, seed)
            messages[idx]["content"] = augmented
        elif isinstance(content, list):  # multi-part content: augment the text parts, leave images alone
            parts, originals, augs = [], [], []
            for part in content:
                if isinstance(part, dict) and part.get("type") == "text":
                    originals.append(part.get("text", ""))
                    augs.append(self._augment(part.get("text", ""), seed))
                    parts.append({**part, "text": augs[-1]})
                else:
                    parts.append(part)
            messages[idx]["content"] = parts
            original, augmented = "\n".join(originals), "\n".join(augs)
        else:
            raise UserError("best-of-n-attack: the user message has no text to augment")
        config = request.config if self.temperature is None else replace(request.config, temperature=self.temperature)
        out = await self.inner.generate(replace(request, messages=messages, config=config))
        info: dict[str, Any] = {
            "attempt": request.epoch,
            "seed": seed,
            "sigma": self.sigma,
            "augmentations": [name for name, on in (("scramble", self.scramble), ("capitalize", self.capitalize),
                                                    ("noise", self.noise)) if on],
            "original_prompt": original,
            "augmented_prompt": augmented,
        }
        out.metadata = {**out.metadata, "best_of_n": info}
        return out

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "sigma": self.sigma, "scramble": self.scramble, "capitalize": self.capitalize,
                "noise": self.noise, "keep_non_ascii": self.keep_non_ascii, "seed": self.seed}
