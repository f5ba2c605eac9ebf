"""Read config/*.yml into a SwarmConfig. Every problem is reported as '<file>:<line>: <reason>', all at once."""

from __future__ import annotations

import re
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

import yaml
from pydantic import BaseModel, ValidationError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from config.departments import DepartmentsFile
from config.model import SwarmConfig
from config.routing_rules import RoutingFile
from config.sla_policy import SlaPolicy
from config.swarm_file import SwarmFile
from config.values import Finding, Loc

FILES: dict[str, type[BaseModel]] = {
    "departments.yml": DepartmentsFile,
    "routing.yml": RoutingFile,
    "sla.yml": SlaPolicy,
    "swarm.yml": SwarmFile,
}


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}" if self.line else f"{self.file}: {self.reason}"


class ConfigError(Exception):
    """The configuration cannot be used; str() lists every problem, one '<file>:<line>: <reason>' per line."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def default_config_dir() -> Path:
    """The YAML shipped with the package (this folder)."""
    return Path(__file__).parent


def load_config(directory: Path | str | None = None) -> SwarmConfig:
    """Load and check departments.yml, routing.yml, sla.yml and swarm.yml from `directory` (default: the shipped ones)."""
    source = Path(directory) if directory is not None else default_config_dir()
    documents = {name: _YamlDocument.read(source, name) for name in FILES}
    problems = [p for doc in documents.values() for p in doc.problems]
    if problems:
        raise ConfigError(problems)
    config = SwarmConfig(
        source_dir=source,
        departments=documents["departments.yml"].model.departments,
        routing=documents["routing.yml"].model,
        sla=documents["sla.yml"].model,
        settings=documents["swarm.yml"].model,
    )
    problems = list(_cross_file_problems(config, documents))
    if problems:
        raise ConfigError(problems)
    return config


def _cross_file_problems(config: SwarmConfig, documents: dict[str, _YamlDocument]) -> Iterator[Problem]:
    refs = config.references()
    findings: dict[str, Iterable[Finding]] = {
        "departments.yml": documents["departments.yml"].model.problems(),
        "routing.yml": config.routing.problems(refs),
        "sla.yml": config.sla.problems(refs),
        "swarm.yml": config.settings.problems(),
    }
    for name, file_findings in findings.items():
        for loc, reason in file_findings:
            yield Problem(name, documents[name].line_of(loc), reason)


# --- YAML with line numbers --------------------------------------------------------------------------------------

class _ConfigYamlLoader(yaml.SafeLoader):
    """SafeLoader without YAML 1.1's base-60 integers, so `end: 17:00` stays the text '17:00' and not 1020."""


_INT_TAG = "tag:yaml.org,2002:int"
_ConfigYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _INT_TAG]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_ConfigYamlLoader.add_implicit_resolver(_INT_TAG, re.compile(r"^[-+]?(?:0|[1-9][0-9_]*)$"), list("-+0123456789"))


@dataclass
class _YamlDocument:
    """One config file: its YAML node tree (which knows line numbers), its validated model, and its problems."""

    file: str
    root: Node | None = None
    model: Any = None
    problems: tuple[Problem, ...] = ()

    @classmethod
    def read(cls, directory: Path, file: str) -> _YamlDocument:
        path = directory / file
        if not path.is_file():
            return cls(file, problems=(Problem(file, None, f"file not found in {directory}"),))
        loader = _ConfigYamlLoader(path.read_text(encoding="utf-8"))
        try:
            root = loader.get_single_node()
            data = loader.construct_document(root) if root is not None else {}
        except yaml.MarkedYAMLError as error:
            return cls(file, problems=(_yaml_syntax_problem(file, error),))
        finally:
            loader.dispose()
        document = cls(file, root)
        document.problems = tuple(_duplicate_keys(file, root))
        return document._validated(FILES[file], data)

    def _validated(self, model: type[BaseModel], data: Any) -> _YamlDocument:
        try:
            self.model = model.model_validate(data)
        except ValidationError as error:
            found = [Problem(self.file, self.line_of(e["loc"]), _describe(e, model)) for e in error.errors()]
            self.problems += tuple(dict.fromkeys(found))  # unions can repeat an error; keep each once, in order
        return self

    def line_of(self, loc: Loc) -> int:
        """The line of the deepest key or list item along `loc` that exists in the file (1-based)."""
        node, line = self.root, (self.root.start_mark.line + 1 if self.root else 1)
        for part in loc:
            step = _child(node, part)
            if step is None:
                break
            line, node = step
        return line


def _child(node: Node | None, part: str | int) -> tuple[int, Node] | None:
    if isinstance(node, MappingNode):
        for key, value in node.value:
            if isinstance(key, ScalarNode) and key.value == str(part):
                return key.start_mark.line + 1, value
    if isinstance(node, SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
        item = node.value[part]
        return item.start_mark.line + 1, item
    return None


def _yaml_syntax_problem(file: str, error: yaml.MarkedYAMLError) -> Problem:
    mark = error.problem_mark or error.context_mark
    reason = error.problem or "invalid YAML"
    if error.context:
        reason += f" ({error.context})"
    return Problem(file, mark.line + 1 if mark else None, reason)


def _duplicate_keys(file: str, root: Node | None) -> Iterator[Problem]:
    # PyYAML keeps the last of two equal keys without a word; a second `billing:` would silently replace the first.
    seen_nodes: set[int] = set()
    pending = [root] if root is not None else []
    while pending:
        node = pending.pop()
        if id(node) in seen_nodes:
            continue
        seen_nodes.add(id(node))
        if isinstance(node, MappingNode):
            yield from _duplicates_in_mapping(file, node)
            pending.extend(value for _, value in node.value)
        elif isinstance(node, SequenceNode):
            pending.extend(node.value)


def _duplicates_in_mapping(file: str, node: MappingNode) -> Iterator[Problem]:
    first_lines: dict[str, int] = {}
    for key, _ in node.value:
        if not isinstance(key, ScalarNode):
            continue
        line = key.start_mark.line + 1
        if key.value in first_lines:
            yield Problem(file, line, f"duplicate key '{key.value}' (first at line {first_lines[key.value]})")
        first_lines.setdefault(key.value, line)


# --- pydantic errors as sentences --------------------------------------------------------------------------------

def _describe(error: Any, model: type[BaseModel]) -> str:
    loc, kind = tuple(error["loc"]), error["type"]
    if kind == "missing":
        return _at(loc[:-1], f"missing required key '{loc[-1]}'")
    if kind == "extra_forbidden":
        allowed = _keys_allowed_at(model, loc[:-1])
        hint = f" (expected one of: {', '.join(allowed)})" if allowed else ""
        return _at(loc[:-1], f"unknown key '{loc[-1]}'{hint}")
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return _at(loc, f"expected a mapping (key: value), got {_shown(error['input'])}")
    if kind in ("list_type", "tuple_type"):
        return _at(loc, f"expected a list, got {_shown(error['input'])}")
    message = error["msg"].removeprefix("Value error, ")
    if kind != "value_error" and isinstance(error.get("input"), (str, int, float, bool)):
        message += f", got {_shown(error['input'])}"
    return _at(loc, message)


def _at(loc: Loc, message: str) -> str:
    path = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc).lstrip(".")
    return f"{path}: {message}" if path else message


def _shown(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return "a mapping" if isinstance(value, dict) else "a list"
    return repr(value)


def _keys_allowed_at(model: type[BaseModel], loc: Loc) -> list[str]:
    """The keys the model at `loc` accepts, to suggest the right spelling of an unknown key."""
    current: Any = model
    for part in loc:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = next((f for name, f in current.model_fields.items() if (f.alias or name) == part), None)
            current = field.annotation if field else None
        else:
            current = _item_type(current)
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [field.alias or name for name, field in current.model_fields.items()]
    return []


def _item_type(container: Any) -> Any:
    """tuple[X, ...] / list[X] → X, dict[K, V] → V; None for anything else."""
    origin, args = typing.get_origin(container), typing.get_args(container)
    if origin is dict:
        return args[1]
    return args[0] if origin in (tuple, list) and args else None


def _unwrap(annotation: Any) -> Any:
    """Annotated[X, ...] → X and X | None → X."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
        else:
            return annotation
