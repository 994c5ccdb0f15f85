"""Core sends messages without knowing notify: the layers contract puts notify above core and transparency, and
no module of theirs imports notify (core reaches it only through `Messages`, which app.py registers)."""

from __future__ import annotations

import tomllib

from tests.code_reading import PACKAGE, ROOT, imported_modules


def layer_of(layers: list[str], component: str) -> int:
    for index, layer in enumerate(layers):
        names = {name.strip().strip("()") for name in layer.split("|")}
        if component in names:
            return index
    raise AssertionError(f"{component} is in no layer")


def test_the_layers_contract_puts_notify_above_core_and_transparency() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    [layers] = [
        contract["layers"] for contract in config["tool"]["importlinter"]["contracts"] if contract["type"] == "layers"
    ]
    # Layers are listed highest first: a lower layer may not import a higher one.
    assert layer_of(layers, "notify") < layer_of(layers, "transparency") < layer_of(layers, "core")


def test_no_module_of_core_or_transparency_imports_notify() -> None:
    offenders = [
        f"{path.relative_to(PACKAGE)} imports {module}"
        for component in ("core", "transparency")
        for path in (PACKAGE / component).rglob("*.py")
        for module in imported_modules(path)
        if module == "govplatform.notify" or module.startswith("govplatform.notify.")
    ]
    assert offenders == []
