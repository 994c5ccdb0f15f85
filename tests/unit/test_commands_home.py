"""Every command lives in its component's cli.py, so there is one way to add commands (docs/architecture.md).
A component with many commands makes `cli` a package, one module a group (the exchange's `cli/keys.py`).

The exceptions are the commands that start or seed the whole platform (serve, worker, demo), which live in
govplatform/processes.py beside the composition root.
"""

from __future__ import annotations

from collections.abc import Iterator

import typer

from govplatform.cli import app

CORE_GROUPS = {"db", "org", "service", "user", "key"}
WHOLE_PLATFORM = {"serve", "worker", "demo"}


def commands(group: typer.Typer, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], str]]:
    """Each command's words (`notify key create`) and the module that defines it."""
    for command in group.registered_commands:
        assert command.callback is not None
        name = command.name or command.callback.__name__.replace("_", "-")
        yield (*path, name), command.callback.__module__
    for sub in group.registered_groups:
        assert sub.typer_instance is not None and sub.name is not None
        yield from commands(sub.typer_instance, (*path, sub.name))


def test_every_command_is_defined_in_the_cli_module_of_the_component_it_is_named_after() -> None:
    found = dict(commands(app))
    assert len(found) > 15, "the walk finds the nested commands too"
    for words, module in found.items():
        if words[0] in WHOLE_PLATFORM:
            assert module == "govplatform.processes", words
        elif words[0] in CORE_GROUPS:
            assert module == "govplatform.core.cli", words
        else:
            home = f"govplatform.{words[0]}.cli"
            assert module == home or module.startswith(home + "."), f"`govplatform {' '.join(words)}` is in {module}"


def test_only_the_whole_platform_commands_stand_beside_the_composition_root() -> None:
    top_level = {words for words, module in commands(app) if module == "govplatform.processes"}
    assert top_level == {(name,) for name in WHOLE_PLATFORM}
