"""Maintain the bundled offline sample: measure each sample scenario's baseline numbers in the sandbox and write
`samples/tam-eval.jsonl` from `samples/scenarios/*.toml` + `samples/projects/<project>/`.

    python -m harness.tasks.tam_eval.sample_index [--measure]

`--measure` runs the given test file and the reference test file of every scenario in its language image and
writes `coverage`/`mutation_kill_rate` (given file; 0.0 and nan when it fails, as in the official repair data) and
`original_*` (reference file) into the TOML, the way the benchmark authors measured theirs. Without it, the index is
rebuilt from the TOMLs as they are (tests check the two stay in sync).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import re
from pathlib import Path
from typing import Any

from harness.tasks.tam_eval.scenario import load_toml, scenario_from_mapping

SAMPLES = Path(__file__).with_name("samples")
INDEX = SAMPLES / "tam-eval.jsonl"
LANG_ORDER = {"Python": 0, "Go": 1, "Java": 2}


def project_of(toml_name: str) -> str:
    """`create_py-textkit__slug.toml` -> `projects/py-textkit`."""
    stem = toml_name.split("_", 1)[1]
    return "projects/" + stem.split("__", 1)[0]


def build_rows() -> list[dict[str, Any]]:
    rows = []
    for path in sorted((SAMPLES / "scenarios").glob("*.toml")):
        data = load_toml(path)
        rows.append({"id": path.stem, "scenario": data, "project_dir": project_of(path.name)})
    # Python first, so `--limit 5` runs the five Python task types with only the Python image.
    rows.sort(key=lambda r: (LANG_ORDER.get(r["scenario"]["lang_info"]["lang"], 9), r["id"]))
    return rows


def index_text(rows: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in rows)


def write_index() -> Path:
    INDEX.write_text(index_text(build_rows()), encoding="utf-8")
    return INDEX


def _fmt(x: float | None) -> str:
    return "nan" if x is None or math.isnan(x) else repr(round(float(x), 2))


async def _measure(paths: list[Path]) -> None:
    from harness.tasks.tam_eval.execute import ExecSettings, Executor

    ex = Executor(ExecSettings())
    try:
        for path in paths:
            data = load_toml(path)
            sc = scenario_from_mapping(path.stem, data, (SAMPLES / project_of(path.name)).resolve())
            ref = await ex.evaluate(sc, sc.read_project_file(sc.test_file_path), check_no_changes=False)
            if ref.status != "PASS":
                raise SystemExit(f"{path.name}: the reference test file fails ({ref.detail}):\n{ref.error_logs[-800:]}")
            if sc.test_file_content.strip():
                given = await ex.evaluate(sc, sc.test_file_content, check_no_changes=False)
            else:
                given = None
            cov, mut = (0.0, 0.0) if given is None else (
                (given.test_cov, given.mut_cov) if given.status == "PASS" else (0.0, math.nan))
            text = path.read_text()
            for key, value in (("coverage", cov), ("original_coverage", ref.test_cov),
                               ("mutation_kill_rate", mut), ("original_mutation_kill_rate", ref.mut_cov)):
                text = re.sub(rf"(?m)^{key} = .*$", f"{key} = {_fmt(value)}", text, count=1)
            path.write_text(text)
            print(f"{path.stem}: given cov {_fmt(cov)} mut {_fmt(mut)}; reference cov {ref.test_cov} mut {ref.mut_cov}")
    finally:
        ex.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--measure", action="store_true", help="re-measure baselines in the sandbox first")
    ap.add_argument("--only", default="", help="comma list of scenario ids to measure")
    args = ap.parse_args()
    if args.measure:
        only = {x for x in args.only.split(",") if x}
        paths = [p for p in sorted((SAMPLES / "scenarios").glob("*.toml")) if not only or p.stem in only]
        asyncio.run(_measure(paths))
    print(write_index())


if __name__ == "__main__":
    main()
