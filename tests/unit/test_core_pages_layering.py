"""Core's pages know no component: they show notify's, pay's and later components' panels, sections and audit
names only through the admin registry that each component fills at start-up (ADR 0016).

The layers contract in pyproject.toml already forbids core to import any component above it (`make lint`);
these tests say so where a reader of core's pages looks, and also catch what import-linter cannot see: a
component's address written into core's Python or Jinja by hand.
"""

from __future__ import annotations

import re
import tomllib

from tests.code_reading import PACKAGE, ROOT, imported_modules

CORE = PACKAGE / "core"
# Every component: each package beside core (notify, pay, transparency, and those to come).
COMPONENTS = sorted(
    path.name
    for path in PACKAGE.iterdir()
    if (path / "__init__.py").exists() and path.name not in {"core", "migrations"}
)


def test_the_layers_contract_puts_core_below_every_component() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    [layers] = [c["layers"] for c in config["tool"]["importlinter"]["contracts"] if c["type"] == "layers"]
    assert layers[-1] == "core", "the lowest layer may import no other"
    assert {"notify", "pay", "transparency"} <= set(COMPONENTS)


def test_no_module_of_core_and_so_none_of_its_pages_imports_a_component() -> None:
    offenders = [
        f"{path.relative_to(PACKAGE)} imports {module}"
        for path in CORE.rglob("*.py")
        for module in imported_modules(path)
        for component in COMPONENTS
        if module == f"govplatform.{component}" or module.startswith(f"govplatform.{component}.")
    ]
    assert offenders == []
    assert imported_modules(CORE / "pages" / "admin_services.py"), "the walk reads the pages' imports"


def test_core_pages_and_templates_write_no_components_address_by_hand() -> None:
    # A component's pages are under /admin/services/{id}/<component>/ (or its own prefix); core's pages
    # link there only with the URLs the registry builds.
    address = re.compile(r"/(?:" + "|".join(COMPONENTS) + r")(?:/|\b)")
    files = [*(CORE / "pages").rglob("*.py"), *(CORE / "templates").rglob("*.html")]
    assert len(files) > 20
    offenders = [
        f"{path.relative_to(PACKAGE)}: {line.strip()}"
        for path in files
        for line in path.read_text().splitlines()
        if address.search(line)
    ]
    assert offenders == []
