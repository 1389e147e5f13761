"""Build a tiny random Llama model, its tokenizer and a chat template, entirely offline.

`python -m harness.testing.tiny_model OUT_DIR` writes a directory that both transformers (`hf:`) and vLLM
(`vllm:`) load. Nothing is downloaded: the BPE tokenizer is trained on a synthetic corpus generated here, so the
result depends only on the library versions, not on files found on the machine.

vLLM's CPU attention needs head_dim in {32, 64, 80, ...}; hidden 64 with 2 heads gives 32. The weights are drawn
with a larger initializer range than the Llama default so that logits are far apart: greedy decoding then picks
the same token on every backend instead of breaking near-ties differently (what the cross-backend test checks).
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

SPECIAL_TOKENS = ["<|begin_of_text|>", "<|end_of_text|>", "<|pad|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"]

# Llama-3 style template; the Jinja text is part of the model, so its hash goes into run records.
CHAT_TEMPLATE = (
    "{{ bos_token }}{% for m in messages %}<|start_header_id|>{{ m['role'] }}<|end_header_id|>\n\n"
    "{{ m['content'] }}<|eot_id|>{% endfor %}"
    "{% if add_generation_prompt %}<|start_header_id|>assistant<|end_header_id|>\n\n{% endif %}"
)

_WORDS = (
    "the a an of to and in is it that for on with as was at by be this are from or have not but what all were "
    "when we there can your which their said if do will each about how up out them then she many some so these "
    "would other into has more her two like him see time could no make than first been its who now people my made "
    "over did down only way find use may water long little very after words called just where most know get "
    "through back much before go good new write our used me man too any day same right look think also around "
    "another came come work three word must because does part even place well such here take why things help put "
    "years different away again off went old number great tell men say small every found still between name should "
    "home big give air line set own under read last never us left end along while might next sound below saw "
    "something thought both few those always looked show large often together asked house world going want school "
    "important until form food keep children feet land side without boy once animals life enough took sometimes "
    "four head above kind began almost live page got earth need far hand high year mother light parts country "
    "father let night following picture being study second eyes soon times story boys since white days paper hard "
    "near sentence better best across during today others however sure means knew try told young miles sun ways "
    "thing whole hear example heard several change answer room sea against top turned learn point city play toward "
    "five using himself usually money seen car morning given trees friends plus minus times total apples pencils"
).split()


def synthetic_corpus(n_lines: int = 4000, seed: int = 0) -> list[str]:
    """English-like sentences and GSM8K-style arithmetic, deterministic for a given seed."""
    rng = random.Random(seed)
    lines = ["Hello, how are you? I am fine. What is the capital of France? Paris."] * 20
    for i in range(n_lines):
        if i % 3 == 0:
            a, b = rng.randint(0, 999), rng.randint(0, 999)
            op, val = rng.choice([("plus", a + b), ("minus", a - b), ("times", a * b)])
            lines.append(f"Question: What is {a} {op} {b}? Answer: {a} {op} {b} = {val}. The answer is \\boxed{{{val}}}.")
        else:
            words = [rng.choice(_WORDS) for _ in range(rng.randint(5, 18))]
            lines.append(" ".join(words).capitalize() + rng.choice([".", "?", "!", ","]))
    return lines


def build(out_dir: str | Path, *, vocab_size: int = 1000, heads: int = 2, seed: int = 0) -> Path:
    """Write tokenizer, chat template, config and safetensors weights to `out_dir` (about 3 s on 2 cores)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tok = Tokenizer(models.BPE(unk_token=None))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL_TOKENS,
        # No full byte alphabet: only characters of the (ASCII) corpus get tokens, so a random model can never
        # emit half a UTF-8 character, which backends would detokenize differently.
        show_progress=False,
    )
    tok.train_from_iterator(synthetic_corpus(seed=seed), trainer=trainer)
    bos_id = tok.token_to_id("<|begin_of_text|>")
    tok.post_processor = processors.TemplateProcessing(
        single="<|begin_of_text|> $A",
        pair="<|begin_of_text|> $A <|begin_of_text|> $B",
        special_tokens=[("<|begin_of_text|>", bos_id)],
    )

    import torch
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    hf_tok = PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token="<|begin_of_text|>", eos_token="<|eot_id|>", pad_token="<|pad|>"
    )
    hf_tok.chat_template = CHAT_TEMPLATE
    hf_tok.save_pretrained(out)

    if 64 % heads or 64 // heads < 32:
        raise ValueError("heads must be 1 or 2: vLLM on CPU needs head_dim >= 32 with hidden size 64")
    torch.manual_seed(seed)
    cfg = LlamaConfig(
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=heads,
        num_key_value_heads=heads,
        vocab_size=tok.get_vocab_size(),
        max_position_embeddings=512,
        bos_token_id=hf_tok.bos_token_id,
        eos_token_id=hf_tok.eos_token_id,
        pad_token_id=hf_tok.pad_token_id,
        tie_word_embeddings=False,
        initializer_range=0.5,
        torch_dtype="float32",
    )
    model = LlamaForCausalLM(cfg)
    model.save_pretrained(out, safe_serialization=True)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out_dir")
    parser.add_argument("--heads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    path = build(args.out_dir, heads=args.heads, seed=args.seed)
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
