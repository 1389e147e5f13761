"""`pynguin`: a classic (non-LLM) unit-test generator as a model adapter, the baseline for Python test creation.

For a TAM-Eval Python scenario it runs Pynguin 0.48 (search-based, DynaMOSA by default) on the focal module inside
the `harness-sandbox/tam-pynguin` image (the project tree is copied into a sandbox: Pynguin executes the code under
test), and answers with the generated test file in a code block, so the task scores it exactly as a model's reply.
It ignores the prompt and the error feedback; other tasks and languages raise a ModelError.

Spec: `pynguin?time=30&seed=0&algorithm=DYNAMOSA&backend=docker`  (search time in seconds per call).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from harness.core import Completion, GenerateRequest, ModelOutput
from harness.core.errors import ModelError
from harness.models.base import AdapterContext, ModelAdapter
from harness.registry import register_model

OUTPUT_DIR = "_pynguin_out"


@register_model
class PynguinAdapter(ModelAdapter):
    kind = "pynguin"
    spec_help = "pynguin?time=30&seed=0&algorithm=DYNAMOSA  (search-based test generator; tam-eval Python scenarios)"
    cacheable = False  # it reads the project tree, which the request cache does not key on

    def __init__(self, spec: Any) -> None:
        super().__init__(spec)
        self.search_time = self.int_param("time", 30) or 30
        self.seed = self.int_param("seed", 0) or 0
        self.algorithm = self.param("algorithm", "DYNAMOSA") or "DYNAMOSA"
        self.backend = self.param("backend", "docker") or "docker"
        self._sandbox: Any = None
        self._lock = asyncio.Lock()

    async def start(self, ctx: AdapterContext) -> None:
        pass  # the sandbox is made on first use, so `harness models` and non-Python runs never build the image

    async def _box(self) -> Any:
        async with self._lock:
            if self._sandbox is None:
                from harness.runners.factory import make_sandbox
                from harness.runners.types import Limits
                from harness.tasks.tam_eval.images import TAM_PYNGUIN, ensure_image

                image = await asyncio.to_thread(ensure_image, "python", TAM_PYNGUIN, log=lambda _m: None)
                limits = Limits(timeout_s=self.search_time + 120, memory_mb=2048, pids=512)
                self._sandbox = make_sandbox(self.backend, image=image, limits=limits)
            return self._sandbox

    async def close(self) -> None:
        if self._sandbox is not None:
            self._sandbox.close()
            self._sandbox = None

    async def generate(self, request: GenerateRequest) -> ModelOutput:
        from harness.tasks.tam_eval.execute import project_files
        from harness.tasks.tam_eval.task import TamEvalTask

        task, sample = request.task, request.sample
        if not isinstance(task, TamEvalTask) or sample is None:
            raise ModelError("the pynguin adapter only answers tam-eval scenarios")
        sc = task.scenario(sample)
        if sc.lang_key != "python" or sc.project_dir is None:
            raise ModelError(f"pynguin generates Python tests only (scenario {sc.id} is {sc.lang})")
        focal = sc.focal_file_path
        root = "src" if focal.startswith("src/") else "."
        module = focal[len("src/"):] if root == "src" else focal
        module = module.removesuffix(".py").replace("/", ".").removesuffix(".__init__")
        command = (
            f"PYNGUIN_DANGER_AWARE=1 pynguin --project-path /workspace/{root} --output-path /workspace/{OUTPUT_DIR} "
            f"--module-name {module} --maximum-search-time {self.search_time} --seed {self.seed + request.epoch} "
            f"--algorithm {self.algorithm} --create-coverage-report False"
        )
        t0 = time.monotonic()
        box = await self._box()
        files = dict(project_files(sc.project_dir))
        files.pop(sc.test_file_path, None)  # the reference test must not leak into the generator's view
        result = await box.aexec(command, files, collect=[f"{OUTPUT_DIR}/*.py"])
        if result.infra_error:
            raise RuntimeError(f"pynguin sandbox failure: {result.infra_error}")  # engine: infra, not model
        generated = sorted(result.files.items())
        if result.exit_code not in (0,) or not generated:
            tail = (result.stdout + result.stderr)[-500:]
            raise ModelError(f"pynguin produced no tests for {module} (exit {result.exit_code}): {tail}")
        text = generated[0][1].decode("utf-8", "replace")
        return ModelOutput(completions=[Completion(text=f"```python\n{text}```", finish_reason="stop")],
                           latency_s=time.monotonic() - t0, metadata={"pynguin_module": module})

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "spec": str(self.spec), "pynguin": "0.48.0", "search_time_s": self.search_time,
                "algorithm": self.algorithm}
