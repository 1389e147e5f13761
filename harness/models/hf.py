"""`hf:` generation with transformers in this process, batched, on CPU or GPU.

Spec: `hf:MODEL_DIR_OR_HUB_ID?device=cpu|cuda|cuda:1&dtype=float32|bfloat16|float16|auto&batch_size=8
&max_new_tokens=512&chat=1`.

Concurrent `generate` calls are queued to one worker thread, which gathers whatever arrived within a few
milliseconds (up to `batch_size` requests with the same generation config) into one left-padded `generate`
call, so the engine's concurrency turns into batches. The chat template is applied when the tokenizer has one
(`chat=0` sends the joined message texts instead). Temperature 0 or unset means greedy; `n` maps to
num_return_sequences; stop strings end generation and are cut from the text (as the OpenAI API does);
finish_reason is "stop" (EOS or stop string) or "length". Tool definitions are passed to the chat template;
tool calls are not parsed out of the text.
"""

from __future__ import annotations

import asyncio
import hashlib
import queue
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from harness.core import Completion, GenerateRequest, GenerationConfig, ModelOutput, Usage
from harness.core.errors import ModelError, UserError
from harness.models._openai_wire import messages_to_prompt
from harness.models.base import AdapterContext, ModelAdapter, local_weights_fingerprint
from harness.models.spec import ModelSpec
from harness.registry import register_model

KEYS = frozenset({"device", "dtype", "batch_size", "max_new_tokens", "chat", "batch_wait_ms"})
_DTYPES = ("auto", "float32", "float16", "bfloat16")


@dataclass
class _Job:
    request: GenerateRequest
    future: asyncio.Future[ModelOutput]
    loop: asyncio.AbstractEventLoop
    enqueued: float


@register_model
class HFAdapter(ModelAdapter):
    kind = "hf"
    spec_help = "hf:MODEL_DIR_OR_HUB_ID?device=cpu|cuda&dtype=float32|bfloat16|auto&batch_size=8&max_new_tokens=512"

    def __init__(self, spec: ModelSpec) -> None:
        super().__init__(spec)
        unknown = set(spec.params) - KEYS
        if unknown:
            raise UserError(f"model spec {spec}: unknown option(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(KEYS))}")
        if not spec.name:
            raise UserError("hf: name a model directory or hub id, e.g. hf:./tiny-llama")
        self.dtype_name = self.param("dtype")
        if self.dtype_name is not None and self.dtype_name not in _DTYPES:
            raise UserError(f"model spec {spec}: dtype={self.dtype_name!r} must be one of {', '.join(_DTYPES)}")
        self.batch_size = max(1, self.int_param("batch_size", 8) or 8)
        self.max_new_tokens = self.int_param("max_new_tokens", 512) or 512
        self.batch_wait_s = (self.float_param("batch_wait_ms", 5.0) or 0.0) / 1000
        self.use_chat = (self.param("chat", "1") or "1").lower() not in ("0", "false", "no")
        self.device: str | None = self.param("device")
        self.model: Any = None
        self.tokenizer: Any = None
        self._queue: queue.Queue[_Job | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._versions: dict[str, str] = {}
        self.batches_run = 0  # how many generate() calls the worker made: lets tests see that batching happened

    # --- lifecycle ----------------------------------------------------------------------------------------------
    async def start(self, ctx: AdapterContext) -> None:
        if self._thread is not None:
            return
        await asyncio.to_thread(self._load)
        self._thread = threading.Thread(target=self._worker, name=f"hf-generate:{self.spec.name}", daemon=True)
        self._thread.start()

    def _load(self) -> None:
        try:
            import torch
            import transformers
            from transformers import AutoModelForCausalLM, AutoTokenizer
        except ImportError as e:
            raise UserError(f"hf: needs torch and transformers ({e}); pip install 'harness[hf]'") from None
        if self.device is None:
            self.device = "cuda" if torch.cuda.is_available() else "cpu"
        if self.dtype_name is None:
            self.dtype_name = "float32" if self.device == "cpu" else "auto"
        dtype = "auto" if self.dtype_name == "auto" else getattr(torch, self.dtype_name)
        transformers.utils.logging.disable_progress_bar()  # the engine draws its own progress bar
        try:
            tok = AutoTokenizer.from_pretrained(self.spec.name, padding_side="left")
            major = int(transformers.__version__.split(".")[0])
            kw = {"dtype": dtype} if major >= 5 else {"torch_dtype": dtype}
            model = AutoModelForCausalLM.from_pretrained(self.spec.name, **kw)
        except OSError as e:
            raise UserError(f"hf: cannot load {self.spec.name!r}: {str(e).splitlines()[0]}") from None
        model.to(self.device).eval()
        if tok.pad_token_id is None:
            tok.pad_token = tok.eos_token
        self.model, self.tokenizer = model, tok
        self._versions = {"torch": torch.__version__, "transformers": transformers.__version__}

    async def close(self) -> None:
        thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            await asyncio.to_thread(thread.join)
        self.model = None

    # --- generation ---------------------------------------------------------------------------------------------
    async def generate(self, request: GenerateRequest) -> ModelOutput:
        if self._thread is None:
            await self.start(AdapterContext())
        loop = asyncio.get_running_loop()
        future: asyncio.Future[ModelOutput] = loop.create_future()
        self._queue.put(_Job(request, future, loop, time.perf_counter()))
        return await future

    def _worker(self) -> None:
        stopping = False
        while not stopping:
            job = self._queue.get()
            if job is None:
                break
            jobs = [job]
            deadline = time.monotonic() + self.batch_wait_s
            # Gather what else is waiting; many configs may be mixed, so collect a few batches' worth.
            while len(jobs) < self.batch_size * 4:
                try:
                    nxt = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    break
                if nxt is None:
                    stopping = True
                    break
                jobs.append(nxt)
            groups: dict[GenerationConfig, list[_Job]] = defaultdict(list)
            for j in jobs:
                groups[j.request.config].append(j)
            for config, group in groups.items():
                for i in range(0, len(group), self.batch_size):
                    self._run_batch(config, group[i : i + self.batch_size])
        # Anything left after close(): fail it rather than leave a caller waiting forever.
        while True:
            try:
                left = self._queue.get_nowait()
            except queue.Empty:
                break
            if left is not None:
                _resolve(left, error=ModelError("hf adapter closed before this request ran"))

    def _prompt(self, request: GenerateRequest) -> str:
        tok = self.tokenizer
        if self.use_chat and getattr(tok, "chat_template", None):
            return tok.apply_chat_template(
                request.messages, tools=request.config.tools, add_generation_prompt=True, tokenize=False
            )
        return messages_to_prompt(request.messages)

    def _run_batch(self, config: GenerationConfig, jobs: list[_Job]) -> None:
        try:
            outputs = self._generate_batch(config, [j.request for j in jobs])
        except Exception as e:  # one failed batch must not kill the worker; each caller gets the error
            for j in jobs:
                _resolve(j, error=ModelError(f"hf generation failed: {type(e).__name__}: {e}"))
            return
        now = time.perf_counter()
        for j, out in zip(jobs, outputs):
            out.latency_s = now - j.enqueued
            _resolve(j, output=out)

    def _generate_batch(self, config: GenerationConfig, requests: list[GenerateRequest]) -> list[ModelOutput]:
        import torch

        tok, model = self.tokenizer, self.model
        chat = self.use_chat and bool(getattr(tok, "chat_template", None))
        texts = [self._prompt(r) for r in requests]
        enc = tok(texts, return_tensors="pt", padding=True, add_special_tokens=not chat).to(self.device)
        max_new = config.max_tokens or self.max_new_tokens
        sample = bool(config.temperature)
        kwargs: dict[str, Any] = {
            "max_new_tokens": max_new,
            "do_sample": sample,
            "num_return_sequences": config.n,
            "pad_token_id": tok.pad_token_id,
            "return_dict_in_generate": True,
            "output_logits": config.logprobs,
        }
        if sample:
            kwargs.update(temperature=config.temperature, top_p=config.top_p or 1.0, top_k=config.top_k or 0)
            if config.seed is not None:
                torch.manual_seed(config.seed)
        else:
            kwargs.update(temperature=None, top_p=None, top_k=None)
        if config.stop:
            kwargs.update(stop_strings=list(config.stop), tokenizer=tok)
        with torch.inference_mode():
            out = model.generate(**enc, **kwargs)
        self.batches_run += 1
        prompt_len = enc["input_ids"].shape[1]
        sequences = out.sequences[:, prompt_len:].tolist()
        eos = model.generation_config.eos_token_id
        eos_ids = set(eos if isinstance(eos, list) else [eos] if eos is not None else [])
        eos_ids.add(tok.eos_token_id)
        stop_ids = eos_ids | {tok.pad_token_id}
        prompt_tokens = enc["attention_mask"].sum(dim=1).tolist()
        results = []
        for r in range(len(requests)):
            completions, completion_tokens = [], 0
            for s in range(config.n):
                row = r * config.n + s
                comp, used = self._completion(sequences[row], out.logits if config.logprobs else None, row, config,
                                              max_new, eos_ids, stop_ids)
                completions.append(comp)
                completion_tokens += used
            results.append(
                ModelOutput(completions=completions,
                            usage=Usage(prompt_tokens=int(prompt_tokens[r]), completion_tokens=completion_tokens))
            )
        return results

    def _completion(
        self,
        generated: list[int],
        logits: Any,
        row: int,
        config: GenerationConfig,
        max_new: int,
        eos_ids: set[int],
        stop_ids: set[int],
    ) -> tuple[Completion, int]:
        ids: list[int] = []
        finish: str | None = None
        for t in generated:
            if t in stop_ids:
                finish = "stop"
                break
            ids.append(t)
        used = len(ids) + (1 if finish else 0)  # the EOS token counts as generated, as vLLM counts it
        text = self.tokenizer.decode(ids, skip_special_tokens=True)
        if config.stop:
            cut = min((i for i in (text.find(s) for s in config.stop) if i >= 0), default=-1)
            if cut >= 0:
                text, finish = text[:cut], "stop"
        if finish is None:
            finish = "length" if len(generated) >= max_new else "stop"
        lps = self._logprobs(ids, logits, row, config) if logits is not None else None
        return Completion(text=text, finish_reason=finish, logprobs=lps), used

    def _logprobs(self, ids: list[int], logits: Any, row: int, config: GenerationConfig) -> list[dict[str, Any]]:
        import torch

        k = config.top_logprobs or 0
        entries = []
        for step, tid in enumerate(ids):
            lp = torch.log_softmax(logits[step][row].float(), dim=-1)
            entry: dict[str, Any] = {"token": self.tokenizer.decode([tid]), "logprob": float(lp[tid]), "top_logprobs": []}
            if k:
                vals, idx = torch.topk(lp, k)
                entry["top_logprobs"] = [
                    {"token": self.tokenizer.decode([int(i)]), "logprob": float(v)} for v, i in zip(vals, idx)
                ]
            entries.append(entry)
        return entries

    # --- records ------------------------------------------------------------------------------------------------
    def cache_identity(self) -> str:
        return f"{self.spec}|weights:{local_weights_fingerprint(self.spec.name)}"

    def describe(self) -> dict[str, Any]:
        template = getattr(self.tokenizer, "chat_template", None) if self.tokenizer is not None else None
        if isinstance(template, dict):
            template = str(sorted(template.items()))
        return {
            "kind": self.kind,
            "spec": str(self.spec),
            "model": self.spec.name,
            "device": self.device,
            "dtype": self.dtype_name,
            "batch_size": self.batch_size,
            "chat_template_hash": hashlib.sha256(template.encode()).hexdigest() if template else None,
            **self._versions,
        }


def _resolve(job: _Job, output: ModelOutput | None = None, error: BaseException | None = None) -> None:
    def apply() -> None:
        if job.future.done():  # the caller was cancelled meanwhile
            return
        if error is not None:
            job.future.set_exception(error)
        else:
            job.future.set_result(output)  # type: ignore[arg-type]

    try:
        job.loop.call_soon_threadsafe(apply)
    except RuntimeError:  # the loop is closed: nobody is waiting any more
        pass
