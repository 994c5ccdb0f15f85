"""GOV.UK Pay's published OpenAPI spec, turned into JSON Schema to validate response bodies against.

The spec (alphagov/pay-publicapi's `openapi/publicapi_spec.json`, read from the
reference material's govuk-pay-publicapi-openapi.json: tests/reference.py) is OpenAPI 3.0.1, generated from Swagger
annotations. Its schemas are close to JSON Schema but not quite: `nullable`
stands for a null type, `$ref`s point into `#/components/schemas`, and
`readOnly`, `example` and `deprecated` are annotations. `PaySpec` converts each
component schema (nullable becomes a `"null"` type, and a null in any enum;
`$ref`s point into `$defs`) and validates a body with `jsonschema`'s Draft
2020-12 validator.

One thing is added: every object schema that lists its properties and says
nothing of others gets `additionalProperties: false`. The spec marks almost
nothing required and, as OpenAPI allows by default, lets any other field
through, so without this a misspelt or misplaced field would always pass. The
field lists themselves (what must be present) come from pay.md, in
pay_wire.py, together with the places where the wire differs from the spec.

Nothing here knows about those differences: `PaySpec.definitions()` gives a
copy of the converted schemas for pay_wire.py to adjust, and `validate` takes
whichever set of definitions it is given.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

COMPONENTS = "#/components/schemas/"
# Annotations with no bearing on validation, or OpenAPI-only keywords handled here (nullable).
_DROPPED = frozenset({"nullable", "readOnly", "writeOnly", "example", "examples", "deprecated", "xml", "externalDocs"})

Definitions = dict[str, Any]


def convert(schema: Any) -> Any:
    """One OpenAPI 3.0 schema object as JSON Schema (recursively); see the module docstring."""
    if isinstance(schema, list):
        return [convert(item) for item in schema]
    if not isinstance(schema, Mapping):
        return schema
    if "$ref" in schema:
        ref = schema["$ref"]
        assert ref.startswith(COMPONENTS), f"a $ref outside the spec's components: {ref}"
        return {"$ref": "#/$defs/" + ref.removeprefix(COMPONENTS)}  # OpenAPI 3.0 ignores a $ref's siblings
    converted: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _DROPPED:
            continue
        if key == "properties":
            converted[key] = {name: convert(inner) for name, inner in value.items()}
        elif key in ("items", "additionalProperties", "not", "allOf", "anyOf", "oneOf"):
            converted[key] = convert(value)
        else:
            converted[key] = copy.deepcopy(value)
    if schema.get("nullable"):
        declared = converted.get("type")
        if isinstance(declared, str):
            converted["type"] = [declared, "null"]
        if "enum" in converted and None not in converted["enum"]:
            converted["enum"] = [*converted["enum"], None]
    if "properties" in converted and "additionalProperties" not in converted:
        converted["additionalProperties"] = False
    return converted


class PaySpec:
    """The spec file: which schema each response has, and its component schemas as JSON Schema."""

    def __init__(self, path: Path) -> None:
        assert path.is_file(), f"GOV.UK Pay's OpenAPI spec is expected at {path}"
        self.document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        assert self.document["openapi"].startswith("3.0"), self.document["openapi"]
        self._definitions = {name: convert(schema) for name, schema in self.document["components"]["schemas"].items()}

    def definitions(self) -> Definitions:
        """A copy of every component schema, converted, by name (for the caller to adjust)."""
        return copy.deepcopy(self._definitions)

    def statuses(self, path: str, method: str) -> set[int]:
        """The response statuses the spec lists for an operation."""
        return {int(status) for status in self._operation(path, method)["responses"]}

    def response_schema(self, path: str, method: str, status: int) -> str | None:
        """The component name of the JSON body the spec gives this response, or None if it gives none.

        KeyError if the spec does not list the status at all.
        """
        response = self._operation(path, method)["responses"][str(status)]
        content = response.get("content") or {}
        if not content:
            return None
        assert set(content) == {"application/json"}, f"{method} {path} {status}: {set(content)}"
        ref = content["application/json"]["schema"]["$ref"]
        assert ref.startswith(COMPONENTS), ref
        return str(ref.removeprefix(COMPONENTS))

    def properties(self, name: str, definitions: Definitions | None = None) -> dict[str, Any]:
        """An object schema's properties (of the given definitions, else the spec's own)."""
        found = (definitions if definitions is not None else self._definitions)[name]
        assert "properties" in found, f"{name} is not an object schema with properties"
        return dict(found["properties"])

    def _operation(self, path: str, method: str) -> dict[str, Any]:
        operation: dict[str, Any] = self.document["paths"][path][method.lower()]
        return operation


def errors(body: object, name: str, definitions: Definitions) -> list[str]:
    """Every way `body` fails the named schema, one line each, with the JSON path of the failing value."""
    schema = {"$defs": definitions, "$ref": f"#/$defs/{name}"}
    validator = Draft202012Validator(schema)
    found = sorted(validator.iter_errors(body), key=lambda error: list(map(str, error.absolute_path)))
    return [f"{error.json_path}: {error.message}" for error in found]


def validate(body: object, name: str, definitions: Definitions, where: str = "response") -> None:
    """Assert `body` validates against the named schema of these definitions."""
    problems = errors(body, name, definitions)
    assert not problems, f"{where} does not match {name}:\n  " + "\n  ".join(problems)
