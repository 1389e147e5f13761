"""Coverage and mutation report parsers, following teval/utils/coverage.py and teval/utils/mutations.py.

Coverage is restricted to the focal file: Cobertura `<class filename>` entries whose filename is a suffix of the
focal path (or the reverse), Go coverprofile rows of the focal file (statement-weighted), JaCoCo's LINE counter of
`<sourcefile name="<Class>.java">` (class name from the first `public class` line of the focal file, as officially:
a file without one gives 0/0 = 0%). Mutation scores count only what the official code counts:
PIT KILLED / (KILLED + SURVIVED); MutPy killed / (all - incompetent - timeout); go-mutesting PASS / (PASS + FAIL).
A total of 0 scores 0.0. Percentages are rounded to 2 decimals.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any


@dataclass
class CoverageResult:
    percent: float
    lines_covered: list[int] = field(default_factory=list)
    lines_missed: list[int] = field(default_factory=list)


@dataclass
class MutationResult:
    killed: int
    total: int

    @property
    def percent(self) -> float:
        return 0.0 if self.total == 0 else round(self.killed / self.total * 100, 2)


class ReportError(ValueError):
    """A report exists but cannot be read."""


def parse_coverage(kind: str, text: str, focal_rel: str, focal_source: str = "") -> CoverageResult:
    if kind == "cobertura":
        res = _cobertura(text, focal_rel)
    elif kind == "go_cover":
        res = _go_cover(text, focal_rel)
    elif kind == "jacoco":
        res = _jacoco(text, focal_source)
    else:
        raise ReportError(f"unsupported coverage report type {kind!r}")
    res.percent = round(res.percent, 2)
    return res


def _xml(text: str) -> ET.Element:
    try:
        return ET.fromstring(text)
    except ET.ParseError as e:
        raise ReportError(f"unreadable XML report: {e}") from None


def _cobertura(text: str, focal_rel: str) -> CoverageResult:
    covered: list[int] = []
    missed: list[int] = []
    for cls in _xml(text).findall(".//class"):
        name = cls.get("filename") or ""
        # Official precedence: (name and name.endswith(rel)) or rel.endswith(name)
        if (name and name.endswith(focal_rel)) or focal_rel.endswith(name):
            for line in cls.findall(".//line"):
                (covered if int(line.get("hits", "0")) > 0 else missed).append(int(line.get("number", "0")))
    total = len(covered) + len(missed)
    return CoverageResult(len(covered) / total * 100 if total else 0.0, covered, missed)


def _go_cover(text: str, focal_rel: str) -> CoverageResult:
    covered: set[int] = set()
    missed: set[int] = set()
    hit_stmts = all_stmts = 0
    for line in text.splitlines()[1:]:  # skiprows=1: the "mode:" line
        parts = line.split(" ")
        if len(parts) != 3:
            continue
        location, stmts, hits = parts
        file, _, rng = location.partition(":")
        if not file.endswith(focal_rel):
            continue
        start, end = rng.split(",")
        lines = range(int(start.split(".")[0]), int(end.split(".")[0]) + 1)
        n, h = int(stmts), int(hits)
        all_stmts += n
        # The official code tests hit == 1 (mode "set" gives 0/1); counts > 1 (mode count/atomic) count as missed.
        if h == 1:
            hit_stmts += n
            covered.update(lines)
        else:
            missed.update(lines)
    pct = hit_stmts / all_stmts * 100 if all_stmts else float("nan")
    return CoverageResult(pct, sorted(covered), sorted(missed))


_JAVA_CLASS = re.compile(r"^\s*public\s+class\s+(\w+).*")


def _jacoco(text: str, focal_source: str) -> CoverageResult:
    class_name = ""
    for line in focal_source.splitlines():
        m = _JAVA_CLASS.match(line)
        if m:
            class_name = m.group(1)
            break
    root = _xml(text)
    sourcefile = root.find(f".//sourcefile[@name='{class_name}.java']") if class_name else None
    if sourcefile is None:
        return CoverageResult(0.0)
    missed_n = covered_n = 0
    for counter in sourcefile.findall("counter"):
        if counter.get("type") == "LINE":
            missed_n += int(counter.get("missed", 0))
            covered_n += int(counter.get("covered", 0))
            break
    # Official bug kept for the line lists only: every line goes to "covered", lines with mi > 0 to "missed".
    missed_lines = [int(x.get("nr", 0)) for x in sourcefile.findall("line") if int(x.get("mi", 0)) > 0]
    covered_lines = [int(x.get("nr", 0)) for x in sourcefile.findall("line")]
    total = missed_n + covered_n
    return CoverageResult(covered_n / total * 100 if total else 0.0, covered_lines, missed_lines)


def parse_mutation(kind: str, text: str, focal_rel: str) -> MutationResult:
    if kind == "mutpy":
        return _mutpy(text)
    if kind == "pitest":
        return _pitest(text, focal_rel)
    if kind == "go-mutesting":
        return _go_mutesting(text)
    raise ReportError(f"unsupported mutation report type {kind!r}")


def _mutpy(text: str) -> MutationResult:
    import yaml

    class _Loader(yaml.SafeLoader):
        pass

    # MutPy writes `!!python/module:pkg.mod` tags; they carry nothing the score needs.
    _Loader.add_multi_constructor("tag:yaml.org,2002:python/", lambda loader, suffix, node: None)
    try:
        data: Any = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as e:
        raise ReportError(f"unreadable MutPy report: {e}") from None
    if not isinstance(data, dict) or not isinstance(data.get("mutations"), list):
        raise ReportError("MutPy report has no 'mutations' list")
    killed = total = 0
    for mutation in data["mutations"]:
        status = mutation.get("status")
        if status in ("incompetent", "timeout"):
            continue
        if status == "killed":
            killed += 1
        total += 1
    return MutationResult(killed, total)


def _pitest(text: str, focal_rel: str) -> MutationResult:
    root = _xml(text)
    mutations = root.findall(".//mutation") or root.findall("mutation")
    killed = total = 0
    for mutation in mutations:
        source = mutation.findtext("sourceFile") or ""
        if not focal_rel.endswith(source):
            continue
        status = mutation.get("status")
        if status is None:
            status = mutation.findtext("status")
        if status == "KILLED":
            killed += 1
            total += 1
        elif status == "SURVIVED":
            total += 1
    return MutationResult(killed, total)


_ANSI = re.compile(r"(?:\x1B[@-_]|[\x80-\x9F])[0-?]*[ -/]*[@-~]")
_GO_MUT = re.compile(r'(PASS|FAIL|SKIP)\s+"[^"]+\.(\d+)" with checksum')


def _go_mutesting(text: str) -> MutationResult:
    killed = total = 0
    for m in _GO_MUT.finditer(_ANSI.sub("", text)):
        if m.group(1) == "PASS":
            killed += 1
            total += 1
        elif m.group(1) == "FAIL":
            total += 1
    return MutationResult(killed, total)
