"""Evaluate one candidate test file in a sandbox, step by step as teval/evaluator.py `TestFileEvaluator.eval`.

empty -> FAIL/empty_file; identical to the given file -> FAIL/no_changes; tree-sitter error -> FAIL/syntax_error;
test command timeout -> FAIL/timeout; non-zero exit -> FAIL/execution_error (any failing test fails the file);
then coverage of the focal file; then the mutation command: a non-zero exit other than 124 (or a host timeout, or an
unreadable report) -> PASS with fail_reason mutations_failed and no mutation score.

Each step runs in a fresh copy of the project tree (a pooled container's workspace is wiped between uses), so a
report that comes back was written by that step: this replaces the official mtime freshness check.

`detail` refines the official fail_reason with what the sandbox saw (no_code_block, compile_error, test_failure,
oom, output_limit, mutation_timeout, mutation_tool_unavailable ...). Infrastructure failures raise `InfraFailure`
so they are never scored as the model's.
"""

from __future__ import annotations

import atexit
import logging
import os
import re
import shlex
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from harness.tasks.tam_eval import feedback as fb
from harness.tasks.tam_eval.reports import ReportError, parse_coverage, parse_mutation
from harness.tasks.tam_eval.scenario import Scenario
from harness.tasks.tam_eval.syntax import check_syntax, count_test_cases

log = logging.getLogger(__name__)

LOG_TAIL_CHARS = 20000
SKIP_DIRS = {".git", "__pycache__", ".pytest_cache", ".mypy_cache", "node_modules"}
# Debian's Maven prints colour resets ("\x1b[0m") even with -B and no TTY; they would only be noise in the feedback.
_ANSI = re.compile(r"\x1B\[[0-?]*[ -/]*[@-~]")


def _logs(res: Any) -> str:
    return _ANSI.sub("", res.stdout + "\n" + res.stderr)[-LOG_TAIL_CHARS:]


class InfraFailure(RuntimeError):
    """The sandbox could not run the step (daemon down, image missing, container died): not the model's fault."""


@dataclass
class Evaluation:
    status: str  # PASS | FAIL
    fail_reason: str | None = None  # the official reason
    detail: str | None = None  # the reason as this harness saw it
    test_cov: float | None = None
    mut_cov: float | None = None
    killed_mutants_num: int | None = None
    total_mutants_num: int | None = None
    test_case_num: int | None = None  # test cases in the candidate (tree-sitter count)
    error_logs: str = ""
    fail_feedback: str | None = None
    durations: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Evaluation:
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in d.items() if k in known})


@dataclass(frozen=True)
class ExecSettings:
    backend: str = "docker"
    pooled: bool = True
    max_sandboxes: int = 2
    timeout_s: float = 150.0  # the official CLI default (--timeout 150)
    memory_mb: int = 2048
    cpus: float = 1.0
    pids: int = 512
    images: tuple[tuple[str, str], ...] = ()  # per-language image overrides
    mutation_fallback: bool = False  # official bug: the fallback command never runs (wrong key); True runs it


def project_files(project_dir: Path) -> dict[str, Path]:
    files: dict[str, Path] = {}
    for dirpath, dirnames, filenames in os.walk(project_dir):
        dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS]
        for name in filenames:
            p = Path(dirpath) / name
            if p.is_symlink() or not p.is_file():
                continue
            files[p.relative_to(project_dir).as_posix()] = p
    return files


_COMPILE_PATTERNS = {
    "java": re.compile(r"COMPILATION ERROR|cannot find symbol|error: "),
    "go": re.compile(r"\[build failed\]|\[setup failed\]|^# command-line-arguments", re.MULTILINE),
    "python": re.compile(r"(SyntaxError|IndentationError|ImportError|ModuleNotFoundError)"),
}


class Executor:
    """Runs candidates for one task instance; one sandbox per language image, created on first use."""

    def __init__(self, settings: ExecSettings) -> None:
        self.settings = settings
        self._sandboxes: dict[str, Any] = {}
        self._lock = threading.Lock()
        atexit.register(self.close)

    # ---------------------------------------------------------------------------------------------- sandboxes
    def _sandbox(self, lang: str) -> Any:
        with self._lock:
            if lang in self._sandboxes:
                return self._sandboxes[lang]
            from harness.runners.factory import make_sandbox
            from harness.runners.types import Limits
            from harness.tasks.tam_eval.images import ensure_image

            s = self.settings
            image = ensure_image(lang, dict(s.images).get(lang), log=lambda _m: None)
            limits = Limits(timeout_s=s.timeout_s, memory_mb=s.memory_mb, cpus=s.cpus, pids=s.pids)
            try:
                box = make_sandbox(s.backend, image=image, limits=limits, pooled=s.pooled,
                                   max_sandboxes=s.max_sandboxes)
            except Exception as e:  # no daemon, no image: the harness's problem, not the model's
                if type(e).__name__ == "UserError":
                    raise
                raise InfraFailure(f"cannot start a {s.backend} sandbox for {lang}: {e}") from e
            self._sandboxes[lang] = box
            return box

    def close(self) -> None:
        with self._lock:
            boxes, self._sandboxes = list(self._sandboxes.values()), {}
        for box in boxes:
            try:
                box.close()
            except Exception as e:  # noqa: BLE001 - closing at exit must not raise
                log.debug("closing sandbox: %s", e)

    async def _run(self, sc: Scenario, files: dict[str, Any], command: str, collect: list[str],
                   timeout_s: float | None = None) -> Any:
        box = self._sandbox(sc.lang_key)
        limits = box.default_limits if timeout_s is None else box.default_limits.replace(timeout_s=timeout_s)
        result = await box.aexec(command, files, limits, collect=collect)
        if result.infra_error:
            raise InfraFailure(f"sandbox failure while running {command[:80]!r}: {result.infra_error}")
        return result

    # ------------------------------------------------------------------------------------------------- steps
    async def evaluate(self, sc: Scenario, code: str, *, had_code_block: bool = True,
                       check_no_changes: bool = True) -> Evaluation:
        lang = sc.lang_key
        if not code:
            return self._fail(sc, "empty_file", "empty_reply", "")
        if check_no_changes and code == sc.test_file_content:
            return self._fail(sc, "no_changes", "no_changes", "")
        syntax = check_syntax(lang, code, sc.test_file_path)
        if not syntax.correct:
            return self._fail(sc, "syntax_error", "syntax_error" if had_code_block else "no_code_block",
                              syntax.message)
        if sc.project_dir is None:
            raise InfraFailure(f"scenario {sc.id}: repository {sc.repository}@{sc.sha[:12]} is not available "
                               f"offline (run `harness data pull tam-eval`)")
        files: dict[str, Any] = dict(project_files(sc.project_dir))
        files[sc.test_file_path] = code
        n_cases = count_test_cases(lang, code)
        run = sc.run
        cov_path = str(run["coverage_report_path"])
        res = await self._run(sc, files, str(run["test_run_command"]), [cov_path])
        durations = {"test_s": round(res.duration_s, 3)}
        logs = _logs(res)
        if res.timed_out:
            ev = self._fail(sc, "timeout", "timeout", logs)
            ev.durations = durations
            return ev
        if res.oom_killed or res.output_limited or res.exit_code != 0:
            detail = "oom" if res.oom_killed else "output_limit" if res.output_limited else (
                "compile_error" if _COMPILE_PATTERNS[lang].search(logs) else "test_failure")
            ev = self._fail(sc, "execution_error", detail, logs)
            ev.durations = durations
            return ev
        report = res.files.get(cov_path)
        if report is None:
            # Officially an assertion that stops the whole run; here the file fails (the test run removed or never
            # wrote the report, which only the test code can cause once the command exited 0).
            ev = self._fail(sc, "execution_error", "coverage_report_missing", logs)
            ev.durations = durations
            return ev
        focal_source = sc.read_project_file(sc.focal_file_path) if lang == "java" else ""
        try:
            cov = parse_coverage(str(run["coverage_report_type"]), report.decode("utf-8", "replace"),
                                 sc.focal_file_path, focal_source)
        except ReportError as e:
            ev = self._fail(sc, "execution_error", "coverage_report_unreadable", f"{logs}\n{e}")
            ev.durations = durations
            return ev
        ev = Evaluation("PASS", test_cov=cov.percent, test_case_num=n_cases, durations=durations)
        await self._mutation(sc, files, ev)
        return ev

    async def _mutation(self, sc: Scenario, files: dict[str, Any], ev: Evaluation) -> None:
        run = sc.run
        command = run.get("mutation_run_command")
        if not command or not self._mutation_supported(sc):
            ev.fail_reason, ev.detail = "mutations_failed", "mutation_tool_unavailable"
            return
        result = await self._mutation_once(sc, files, str(command), ev)
        fallback = run.get("mutation_run_command_fallback")
        if result is not None and result.killed == 0 and fallback and self.settings.mutation_fallback:
            again = await self._mutation_once(sc, files, str(fallback), Evaluation("PASS"))
            if again is not None:
                result = again
        if result is not None:
            ev.mut_cov, ev.killed_mutants_num, ev.total_mutants_num = result.percent, result.killed, result.total

    def _mutation_supported(self, sc: Scenario) -> bool:
        # Debian has neither PIT nor go-mutesting; a custom image that has them can be named per language.
        kind = str(sc.run.get("mutation_report_type"))
        return kind == "mutpy" or (sc.lang_key in dict(self.settings.images))

    async def _mutation_once(self, sc: Scenario, files: dict[str, Any], command: str, ev: Evaluation) -> Any:
        run = sc.run
        report_path = str(run["mutation_report_path"])
        timeout = self.settings.timeout_s
        command = command.replace("{timeout}", str(int(timeout)))
        sandbox_timeout = timeout
        if sc.lang_key == "go":
            # run_and_save_output: stdout becomes the report; the inner `timeout` must fire before the sandbox's.
            command = f"{{ {command} ; }} > {shlex.quote(report_path)}"
            sandbox_timeout = timeout + 30
        res = await self._run(sc, files, command, [report_path], timeout_s=sandbox_timeout)
        ev.durations["mutation_s"] = round(ev.durations.get("mutation_s", 0.0) + res.duration_s, 3)
        if res.timed_out or res.oom_killed or (res.exit_code not in (0, 124)):
            ev.fail_reason = "mutations_failed"
            ev.detail = "mutation_timeout" if res.timed_out else "mutation_oom" if res.oom_killed else "mutation_error"
            ev.error_logs = _logs(res)
            return None
        report = res.files.get(report_path)
        try:
            if report is None:
                raise ReportError("mutation report was not written")
            return parse_mutation(str(run["mutation_report_type"]), report.decode("utf-8", "replace"),
                                  sc.focal_file_path)
        except ReportError:
            ev.fail_reason, ev.detail = "mutations_failed", "mutation_report_unreadable"
            ev.error_logs = "mutation report processing failed!"
            return None

    def _fail(self, sc: Scenario, reason: str, detail: str, logs: str) -> Evaluation:
        return Evaluation("FAIL", fail_reason=reason, detail=detail, error_logs=logs[-LOG_TAIL_CHARS:],
                          fail_feedback=fb.fail_feedback(reason, sc.lang_key, logs))
