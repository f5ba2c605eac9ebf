"""The tree shows the architecture; these tests keep it honest: the core imports no platform code."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PLATFORM_MODULES = ("flask", "slack_bolt", "slack_sdk", "jira", "msgraph", "microsoft_teams", "simple_salesforce",
                    "huey", "integrations", "workflows", "werkzeug", "requests")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _core_files() -> list[Path]:
    return [p for p in (ROOT / "swarm").rglob("*.py") if "app" not in p.relative_to(ROOT / "swarm").parts[:1]]


def test_the_core_imports_no_platform_code():
    offenders = {
        str(path.relative_to(ROOT)): sorted(n for n in _imports(path) if n.split(".")[0] in PLATFORM_MODULES)
        for path in _core_files()
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_workflows_reach_platforms_only_through_ports():
    offenders = {
        str(path.relative_to(ROOT)): sorted(n for n in _imports(path) if n.split(".")[0] in ("integrations", "flask", "slack_sdk", "slack_bolt"))
        for path in (ROOT / "workflows").rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_listener_modules_stay_small():
    sizes = {p.name: len(p.read_text().splitlines()) for p in (ROOT / "integrations" / "slack" / "listeners").glob("*.py")}
    assert max(sizes.values()) <= 300, sizes
