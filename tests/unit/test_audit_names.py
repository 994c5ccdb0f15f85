"""Every audit event the code records has a readable name, and every type of target it names is declared.

The test reads the code: each call of `record_audit` (components) or `audit.record` (core), and the
action and target type it passes, which must be written out in full (a literal, a choice between
literals, or a local name given one of those) so that this walk can see them. It then builds the
platform as the composition root does and asks its admin registry (ADR 0016).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

import pytest

from govplatform.app import register_components
from govplatform.core.admin_registry import AdminRegistry
from govplatform.core.platform import build_platform
from tests.code_reading import PACKAGE
from tests.conftest import make_settings

# The two functions that write an event take its name as a parameter; every other call names it.
RECORDERS = {("core/services/audit.py", "record"), ("core/interfaces.py", "record_audit")}


class Unreadable(Exception):
    pass


def _is_audit_call(node: ast.Call) -> bool:
    func = node.func
    if isinstance(func, ast.Name):
        return func.id == "record_audit"
    return isinstance(func, ast.Attribute) and func.attr == "record" and ast.unparse(func.value) == "audit"


def _values(node: ast.expr, scope: ast.AST) -> set[str]:
    """Every string the expression can be, or Unreadable."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _values(node.body, scope) | _values(node.orelse, scope)
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Dict):
        return set().union(*(_values(value, scope) for value in node.value.values))
    if isinstance(node, ast.Name):
        given = [
            assign.value
            for assign in ast.walk(scope)
            if isinstance(assign, ast.Assign)
            and any(isinstance(target, ast.Name) and target.id == node.id for target in assign.targets)
        ]
        if given:
            return set().union(*(_values(value, scope) for value in given))
    raise Unreadable(ast.unparse(node))


def _argument(call: ast.Call, position: int, keyword: str) -> ast.expr:
    for given in call.keywords:
        if given.arg == keyword:
            return given.value
    return call.args[position]


def recorded() -> Iterator[tuple[str, int, set[str], set[str]]]:
    """(file, line, actions, target types) for each audit call in the code, but the two functions themselves."""
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            if (path.relative_to(PACKAGE).as_posix(), function.name) in RECORDERS:
                continue
            for call in ast.walk(function):
                if isinstance(call, ast.Call) and _is_audit_call(call):
                    where = f"{path.relative_to(PACKAGE)}:{call.lineno}"
                    try:
                        actions = _values(_argument(call, 2, "action"), function)
                        targets = _values(_argument(call, 3, "target_type"), function)
                    except Unreadable as error:
                        pytest.fail(f"{where}: write the audit event's name out in full, not {error}")
                    yield where, call.lineno, actions, targets


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> AdminRegistry:
    var_dir = tmp_path_factory.mktemp("var")
    settings = make_settings(var_dir, f"sqlite:///{var_dir / 'unused.db'}")  # argon2's least cost, as every test
    platform = build_platform(settings)  # nothing connects until a unit of work reads
    register_components(platform)
    return platform.admin


def test_the_walk_finds_the_audit_calls_of_core_notify_and_pay() -> None:
    actions = {action for _where, _line, found, _targets in recorded() for action in found}
    some = {"api_key.revoked", "notify.reply_to_made_default", "pay.refunds_exported", "pay.webhook_activated"}
    assert some <= actions
    assert len(actions) > 40


def test_every_recorded_audit_event_has_a_readable_name(registry: AdminRegistry) -> None:
    unnamed = sorted(
        f"{where} records {action}"
        for where, _line, actions, _targets in recorded()
        for action in actions
        if registry.audit_event_name(action) is None
    )
    assert unnamed == [], "declare these in the recording component's declare_admin (core: core/admin_entries.py)"


def test_every_type_of_target_the_code_records_is_declared(registry: AdminRegistry) -> None:
    undeclared = sorted(
        f"{where} records a {target}"
        for where, _line, _actions, targets in recorded()
        for target in targets
        if registry.audit_target(target) is None
    )
    assert undeclared == []


def test_every_declared_audit_event_is_recorded_somewhere(registry: AdminRegistry) -> None:
    recorded_actions = {action for _where, _line, found, _targets in recorded() for action in found}
    assert set(registry.audit_events) - recorded_actions == set(), "a name for an event nothing records"


def test_readable_names_read_as_words_not_codes(registry: AdminRegistry) -> None:
    for action, name in registry.audit_events.items():
        assert name != action and "_" not in name and name[0].isupper(), f"{action}: {name!r}"
