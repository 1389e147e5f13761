"""`harness data pull tam-eval`: the official scenario files at the pinned commit, and each scenario's repository
cloned at its sha, into the harness data folder; then one JSONL row per scenario at the path the engine reads
(`harness.tasks.data.prefetched_path`). Needs network access to GitHub. Scenarios whose repository cannot be cloned
keep `project_dir: null` and are reported as unavailable offline (the engine records them as infra errors).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from harness.core.errors import UserError
from harness.tasks.base import DatasetSource
from harness.tasks.data import data_dir, prefetched_path
from harness.tasks.tam_eval.scenario import row_from_toml


def _git(*args: str, cwd: Path | None = None) -> None:
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.strip()[-300:] or f"git {' '.join(args)} failed")


def checkout(repo: str, sha: str, dest: Path) -> Path:
    """`repo` (owner/name on GitHub, or any git URL/path) at `sha`, shallow where the server allows it."""
    if (dest / ".tam-complete").exists():
        return dest
    url = repo if ("://" in repo or repo.startswith("/")) else f"https://github.com/{repo}.git"
    dest.mkdir(parents=True, exist_ok=True)
    if not (dest / ".git").exists():
        _git("init", "-q", str(dest))
        _git("remote", "add", "origin", url, cwd=dest)
    try:
        _git("fetch", "-q", "--depth", "1", "origin", sha, cwd=dest)
    except RuntimeError:
        _git("fetch", "-q", "origin", cwd=dest)  # servers that refuse fetching a bare sha
    _git("checkout", "-q", "--force", sha, cwd=dest)
    (dest / ".tam-complete").write_text(sha)
    return dest


def pull_benchmark(source: DatasetSource, *, benchmark_url: str | None = None, log=print) -> Path:  # type: ignore[no-untyped-def]
    root = data_dir() / "tam-eval"
    bench = root / "benchmark"
    try:
        checkout(benchmark_url or str(source.hub_id), str(source.revision), bench)
    except RuntimeError as e:
        raise UserError(f"could not fetch the TAM-Eval scenarios ({source.hub_id}@{source.revision}): {e}") from None
    tomls = sorted((bench / "tameval" / "benchmark" / str(source.split)).glob("*.toml"))
    if not tomls:
        raise UserError(f"no scenario files under tameval/benchmark/{source.split} in {bench}")
    rows = []
    unavailable = []
    for path in tomls:
        row = row_from_toml(path, None)
        sc = row["scenario"]
        repo, sha = sc["repo_info"]["repository"], sc["repo_info"]["sha"]
        dest = root / "repos" / f"{repo.replace('/', '__')}@{sha[:12]}"
        try:
            row["project_dir"] = str(checkout(repo, sha, dest))
        except RuntimeError as e:
            unavailable.append(f"{path.stem}: {repo}@{sha[:12]}: {e}")
        rows.append(row)
    out = prefetched_path(source)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    tmp.replace(out)
    (root / "unavailable.txt").write_text("\n".join(unavailable) + ("\n" if unavailable else ""))
    log(f"tam-eval: {len(rows) - len(unavailable)}/{len(rows)} scenarios available offline; "
        f"unavailable ones are listed in {root / 'unavailable.txt'}")
    return out
