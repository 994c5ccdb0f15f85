"""The "protected" import-linter contracts for notify, pay and identity, checked against the real import graph.

Each contract in pyproject.toml must protect every module of its component except `interfaces.py`
(so a module added later is not left open), and must refuse a higher component that imports one of
those modules directly, while letting it import `interfaces.py`. The imports tried here are added to
the graph grimp builds of the package, as `make lint` builds it, and checked with import-linter's own
contract class, so what is asserted is what `lint-imports` would say.
"""

from __future__ import annotations

import copy
import functools
import tomllib
from pathlib import Path
from typing import Any

import grimp
import pytest
from importlinter.contracts.protected import ProtectedContract

ROOT = Path(__file__).resolve().parents[2]
COMPONENTS = ("notify", "pay", "identity")


def contract_for(component: str) -> dict[str, Any]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    [found] = [
        contract
        for contract in config["tool"]["importlinter"]["contracts"]
        if contract["type"] == "protected" and f"govplatform.{component}.interfaces" in contract["name"]
    ]
    return found


@functools.cache
def package_graph() -> grimp.ImportGraph:
    return grimp.build_graph("govplatform")


def kept_with(component: str, importer: str, imported: str) -> bool:
    graph = copy.deepcopy(package_graph())  # the cached graph stays as the package is
    graph.add_import(importer=importer, imported=imported, line_number=1, line_contents=f"import {imported}")
    contract = contract_for(component)
    checked = ProtectedContract(contract["name"], {}, {key: value for key, value in contract.items() if key != "name"})
    return bool(checked.check(graph, verbose=False).kept)


@pytest.mark.parametrize("component", COMPONENTS)
def test_the_contract_protects_every_module_of_the_component_but_its_interfaces(component: str) -> None:
    package = f"govplatform.{component}"
    modules = package_graph().find_children(package) - {f"{package}.interfaces"}
    assert set(contract_for(component)["protected_modules"]) == modules


@pytest.mark.parametrize("component", COMPONENTS)
def test_the_package_as_it_stands_keeps_the_contract(component: str) -> None:
    assert kept_with(component, "govplatform.app", f"govplatform.{component}.interfaces")


@pytest.mark.parametrize(
    ("component", "imported"),
    [
        ("pay", "govplatform.pay.services"),
        ("pay", "govplatform.pay.services.checkout"),
        ("pay", "govplatform.pay.models"),
        ("pay", "govplatform.pay.component"),
        ("notify", "govplatform.notify.services.templates"),
        ("notify", "govplatform.notify.models"),
        ("identity", "govplatform.identity.services.sessions"),
        ("identity", "govplatform.identity.models"),
        ("identity", "govplatform.identity.pages"),
    ],
)
def test_a_higher_component_importing_anything_but_the_interfaces_breaks_the_contract(
    component: str, imported: str
) -> None:
    assert not kept_with(component, "govplatform.forms.payment_step", imported)
    assert kept_with(component, "govplatform.forms.payment_step", f"govplatform.{component}.interfaces")


def test_a_component_beside_pay_may_not_reach_into_it_either() -> None:
    assert not kept_with("pay", "govplatform.notify.services.sending", "govplatform.pay.services.payments")
    assert kept_with("pay", "govplatform.pay.services.checkout", "govplatform.pay.services.payments")
