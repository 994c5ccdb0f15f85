"""GOV.UK Notify's published OpenAPI description, read field by field to check responses against it.

The description (alphagov/notifications-tech-docs' OpenAPI files, read from
the reference material's govuk-notify-openapi/: tests/reference.py) is too loose to validate a response against as a
whole: it marks no field required, shows example keys as if they were fields,
and a few of its types are not what Notify sends. So it is read into `Shape`s,
the JSON types each field may have, and a test checks a response's fields
against them one by one, adjusting a shape where notify.md says the wire
differs and saying why there.

Only what the description says is read from it: `$ref`s are followed (within
schema.json and from the path files into it), a `oneOf` becomes named
variants (by `title`, or by the referenced schema's name) for the caller to
choose from, `nullable` and an enum's `null` add the null type.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

JSON_TYPES = frozenset({"string", "integer", "number", "boolean", "object", "array", "null"})


@dataclasses.dataclass(frozen=True)
class Shape:
    """What one value may be: its JSON types and, for an object or array, the shapes inside it."""

    types: frozenset[str]
    properties: Mapping[str, Shape] | None = None  # an object's fields; None when the spec lists none
    required: frozenset[str] | None = None  # the spec's `required`; None when it has none: then all are expected
    items: Shape | None = None  # an array's items
    values: Shape | None = None  # every value of an object used as a map (keys are the caller's)
    enum: tuple[object, ...] | None = None
    variants: Mapping[str, Shape] | None = None  # a oneOf's branches, by title or referenced schema name

    def fields(self) -> dict[str, frozenset[str]]:
        """{field: allowed JSON types}, for an object."""
        assert self.properties is not None, "not an object with declared fields"
        return {name: shape.types for name, shape in self.properties.items()}

    def field(self, name: str) -> Shape:
        assert self.properties is not None and name in self.properties, f"the spec has no field {name!r}"
        return self.properties[name]

    def variant(self, name: str) -> Shape:
        assert self.variants is not None and name in self.variants, f"{name!r} is not a variant of this shape"
        return self.variants[name]

    def with_field(self, name: str, shape: Shape) -> Shape:
        """This object shape with a field added, or replaced."""
        return dataclasses.replace(self, properties={**(self.properties or {}), name: shape})

    def or_null(self) -> Shape:
        return dataclasses.replace(self, types=self.types | {"null"})


def json_types(value: object) -> frozenset[str]:
    """The JSON types a decoded value has: an integer is also a number, a bool is only a boolean."""
    if value is None:
        return frozenset({"null"})
    if isinstance(value, bool):
        return frozenset({"boolean"})
    if isinstance(value, int):
        return frozenset({"integer", "number"})
    if isinstance(value, float):
        return frozenset({"number"})
    if isinstance(value, str):
        return frozenset({"string"})
    if isinstance(value, list):
        return frozenset({"array"})
    if isinstance(value, dict):
        return frozenset({"object"})
    raise TypeError(f"not a JSON value: {value!r}")


Pick = Callable[[Shape, Any], Shape]  # chooses the variant of a oneOf that a value is meant to be


def conform(value: object, shape: Shape, where: str = "response", pick: Pick | None = None) -> None:
    """Assert `value` has the shape: its type, its enum, and exactly the declared fields, all the way down."""
    if shape.variants is not None:
        assert pick is not None, f"{where}: the spec gives {list(shape.variants)}; say which one this is"
        shape = pick(shape, value)
    kinds = json_types(value)
    assert kinds & shape.types, f"{where} is {sorted(kinds)} ({value!r}); the spec allows {sorted(shape.types)}"
    if shape.enum is not None and value is not None:
        assert value in shape.enum, f"{where} is {value!r}, not one of {shape.enum}"
    if isinstance(value, dict):
        if shape.properties is not None:
            declared = set(shape.properties)
            optional = declared - shape.required if shape.required is not None else set()
            missing = sorted(declared - optional - set(value))
            extra = sorted(set(value) - declared)
            assert not missing and not extra, f"{where}: missing {missing}, not in the spec {extra}"
            for name, inner in value.items():
                conform(inner, shape.properties[name], f"{where}.{name}", pick)
        if shape.values is not None:
            for name, inner in value.items():
                conform(inner, shape.values, f"{where}[{name!r}]", pick)
    if isinstance(value, list) and shape.items is not None:
        for index, inner in enumerate(value):
            conform(inner, shape.items, f"{where}[{index}]", pick)


class NotifySpec:
    """The OpenAPI files in one directory: publicapi_spec.json, its path files, and schema.json."""

    def __init__(self, directory: Path) -> None:
        assert directory.is_dir(), f"Notify's OpenAPI description is expected in {directory}"
        self.directory = directory
        self._files: dict[str, dict[str, Any]] = {}

    def _file(self, name: str) -> dict[str, Any]:
        if name not in self._files:
            self._files[name] = json.loads((self.directory / name).read_text(encoding="utf-8"))
        return self._files[name]

    def response(self, path: str, method: str, status: int) -> Shape:
        """The shape of the response a path and method answer with `status`."""
        operation_file, content = self._content(path, method, status)
        (media,) = content.values()
        return self._shape(media["schema"], operation_file)

    def media_type(self, path: str, method: str, status: int) -> str:
        """The one media type the spec gives that response (application/json, application/pdf)."""
        (media_type,) = self._content(path, method, status)[1]
        return str(media_type)

    def _content(self, path: str, method: str, status: int) -> tuple[str, dict[str, Any]]:
        operation_ref = self._file("publicapi_spec.json")["paths"][path]["$ref"]
        operation_file, operation = self._resolve_ref(operation_ref, "publicapi_spec.json")
        return operation_file, operation[method.lower()]["responses"][str(status)]["content"]

    def _resolve_ref(self, ref: str, base: str) -> tuple[str, Any]:
        """(file, node) a `$ref` points at, relative to the file `base` it was found in."""
        file_part, _, pointer = ref.partition("#")
        file_name = Path(file_part).name if file_part else base
        node: Any = self._file(file_name)
        for part in filter(None, pointer.split("/")):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return file_name, node

    def _shape(self, schema: Mapping[str, Any], base: str) -> Shape:
        if "$ref" in schema:
            file_name, target = self._resolve_ref(schema["$ref"], base)
            return self._shape(target, file_name)
        if "oneOf" in schema:
            variants: dict[str, Shape] = {}
            for branch in schema["oneOf"]:
                name = branch.get("title") or branch["$ref"].rsplit("/", 1)[-1]
                variants[name] = self._shape(branch, base)
            return Shape(frozenset(), variants=variants)
        declared = schema.get("type")
        assert declared in JSON_TYPES, f"a schema without a single JSON type: {dict(schema)}"
        types = {declared}
        enum = tuple(schema["enum"]) if "enum" in schema else None
        if schema.get("nullable") or (enum is not None and None in enum):
            types.add("null")
        properties = None
        if "properties" in schema:
            properties = {name: self._shape(inner, base) for name, inner in schema["properties"].items()}
        required = frozenset(schema["required"]) if "required" in schema else None
        items = self._shape(schema["items"], base) if "items" in schema else None
        return Shape(frozenset(types), properties, required, items, None, enum)
