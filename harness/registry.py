"""Task and model registries: built-ins register with a decorator; plug-ins through entry points.

Third-party packages add tasks or adapters by declaring entry points in the groups `harness.tasks` and
`harness.models`. The entry point may name a module (importing it runs its `@register_*` decorators) or a
Task / ModelAdapter subclass (registered under its `name` / `kind`).
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any, TypeVar

from harness.core.errors import UserError

if TYPE_CHECKING:
    from harness.models.base import ModelAdapter
    from harness.tasks.base import Task

TASK_GROUP = "harness.tasks"
MODEL_GROUP = "harness.models"

T = TypeVar("T")


@dataclass
class TaskEntry:
    name: str
    factory: Callable[..., Task]
    origin: str  # module that registered it


@dataclass
class ModelEntry:
    kind: str
    cls: type[ModelAdapter]
    is_method: bool
    origin: str


_tasks: dict[str, TaskEntry] = {}
_models: dict[str, ModelEntry] = {}
_loaded = {"tasks": False, "models": False}


def register_task(name: str | None = None) -> Callable[[T], T]:
    """Class decorator (or decorator of a zero-argument factory) that registers a task under `name`."""

    def deco(obj: T) -> T:
        task_name = name or getattr(obj, "name")
        _tasks[task_name] = TaskEntry(task_name, obj, getattr(obj, "__module__", "?"))  # type: ignore[arg-type]
        return obj

    return deco


def register_model(cls: T) -> T:
    """Class decorator that registers a ModelAdapter (or MethodAdapter) under its `kind`."""
    from harness.models.base import MethodAdapter

    _models[cls.kind] = ModelEntry(cls.kind, cls, issubclass(cls, MethodAdapter), cls.__module__)  # type: ignore[attr-defined]
    return cls


def _load(group: str, builtin_modules: tuple[str, ...], key: str) -> None:
    if _loaded[key]:
        return
    _loaded[key] = True
    for module in builtin_modules:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as e:
            # The module itself (or its package) is absent: warn. A missing dependency inside it is a real error.
            if e.name is None or not (module == e.name or module.startswith(e.name + ".")):
                raise
            import warnings

            warnings.warn(f"harness: built-in module {module} is missing from this installation", stacklevel=2)
    for ep in entry_points(group=group):
        try:
            obj = ep.load()
        except Exception as e:  # a broken plug-in must not take the built-ins down with it
            import warnings

            warnings.warn(f"harness: could not load plug-in {ep.name!r} ({ep.value}): {e}", stacklevel=2)
            continue
        if isinstance(obj, type):
            if key == "tasks":
                register_task(getattr(obj, "name", ep.name))(obj)
            elif _is_adapter_class(obj):
                register_model(obj)
            else:
                import warnings

                warnings.warn(f"harness: plug-in {ep.name!r} ({ep.value}) is not a ModelAdapter subclass with a "
                              "`kind`; skipped", stacklevel=2)


def _is_adapter_class(obj: type) -> bool:
    from harness.models.base import ModelAdapter

    return issubclass(obj, ModelAdapter) and isinstance(getattr(obj, "kind", None), str)


def _ensure_tasks() -> None:
    from harness.tasks import BUILTIN_TASK_MODULES

    _load(TASK_GROUP, BUILTIN_TASK_MODULES, "tasks")


def _ensure_models() -> None:
    from harness.models import BUILTIN_MODEL_MODULES

    _load(MODEL_GROUP, BUILTIN_MODEL_MODULES, "models")


def _unknown(what: str, name: str, known: list[str]) -> UserError:
    near = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(near)}?" if near else f"; known: {', '.join(sorted(known))}"
    return UserError(f"unknown {what} {name!r}{hint}")


def task_entries() -> dict[str, TaskEntry]:
    _ensure_tasks()
    return dict(sorted(_tasks.items()))


def model_entries() -> dict[str, ModelEntry]:
    _ensure_models()
    return dict(sorted(_models.items()))


def create_task(name: str, **options: Any) -> Task:
    entries = task_entries()
    if name not in entries:
        raise _unknown("task", name, list(entries))
    try:
        return entries[name].factory(**options)
    except TypeError as e:
        raise UserError(f"task {name!r}: bad task option ({e})") from None


def create_model(spec_text: str) -> ModelAdapter:
    """Build a base adapter from a spec string such as `openai:gpt-4o-mini` or `gold`."""
    from harness.models.spec import parse_spec

    spec = parse_spec(spec_text)
    entries = model_entries()
    if spec.kind not in entries or entries[spec.kind].is_method:
        raise _unknown("model adapter", spec.kind, [k for k, e in entries.items() if not e.is_method])
    return entries[spec.kind].cls(spec)


def wrap_method(method_text: str, inner: ModelAdapter) -> ModelAdapter:
    """Wrap an adapter in a method given as `name:key=value,...` (e.g. `self-consistency:n=8`)."""
    from harness.models.spec import parse_method

    mspec = parse_method(method_text)
    entries = model_entries()
    if mspec.kind not in entries or not entries[mspec.kind].is_method:
        raise _unknown("method", mspec.kind, [k for k, e in entries.items() if e.is_method])
    return entries[mspec.kind].cls(mspec, inner)  # type: ignore[call-arg]
