"""A third-party package installed into the environment adds a task and an adapter through entry points."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PLUGIN = Path(__file__).parent / "fixtures" / "plugin_pkg"


@pytest.fixture(scope="module")
def plugin_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    target = tmp_path_factory.mktemp("site")
    build = tmp_path_factory.mktemp("build")
    source = build / "plugin_pkg"
    shutil.copytree(PLUGIN, source)  # setuptools writes build/ and egg-info next to the sources: not in the repo
    # A private --target keeps the test from altering the shared environment; PYTHONPATH puts it on sys.path,
    # where importlib.metadata finds its entry points exactly as for a normal install.
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                    "--target", str(target), str(source)], check=True, cwd=build)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(target), env.get("PYTHONPATH")]))
    return env


def _harness(env: dict[str, str], *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness.cli", *args], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=120)


def test_plugin_task_and_adapter_are_listed_and_runnable(plugin_env: dict[str, str], tmp_path: Path) -> None:
    listed = _harness(plugin_env, "tasks", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert "echo-words" in listed.stdout
    models = _harness(plugin_env, "models", cwd=tmp_path)
    assert "shout" in models.stdout

    ran = _harness(plugin_env, "run", "--task", "echo-words", "--model", "shout", "--data", "sample",
                   "--progress", "plain", cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    (run_dir,) = (tmp_path / "results").iterdir()
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["metrics"]["accuracy"]["mean"] == 1.0 and metrics["n_samples"] == 3


def test_without_the_plugin_the_task_is_unknown(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    ran = _harness(env, "run", "--task", "echo-words", "--model", "gold", cwd=tmp_path)
    assert ran.returncode == 2
    assert ran.stderr.strip().splitlines()[-1].startswith("error: unknown task 'echo-words'")


def test_a_model_entry_point_that_is_not_an_adapter_is_skipped_with_a_warning(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from importlib.metadata import EntryPoint

    from harness import registry

    class NotAnAdapter:  # e.g. a Task class registered in the wrong group: it has no `kind`
        pass

    bad = EntryPoint(name="oops", value="somewhere:NotAnAdapter", group=registry.MODEL_GROUP)
    monkeypatch.setattr(EntryPoint, "load", lambda self: NotAnAdapter)
    monkeypatch.setattr(registry, "entry_points", lambda group: [bad] if group == registry.MODEL_GROUP else [])
    monkeypatch.setattr(registry, "_loaded", {"tasks": True, "models": False})
    with pytest.warns(UserWarning, match="'oops'.*not a ModelAdapter"):
        entries = registry.model_entries()
    assert "gold" in entries and "oops" not in entries
