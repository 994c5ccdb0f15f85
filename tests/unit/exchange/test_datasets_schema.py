"""A dataset's schema: typed fields, each naming a data item from the platform's one list, and nothing risky."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from govplatform.exchange.data_items import BY_ID, ITEMS
from govplatform.exchange.services.datasets import DatasetError, check_schema

ANSWER_TYPES = {"name", "date", "address", "text", "email", "phone", "ni-number", "selection", "yes-no", "number"}
ADDRESS = {"type": "string", "x-data-item": "address"}
VEHICLES: dict[str, Any] = {
    "type": "object",
    "required": ["registration"],
    "properties": {
        "registration": {"type": "string", "maxLength": 8, "x-data-item": "vehicle-registration"},
        "make": {"type": "string", "x-data-item": "vehicle-make", "x-personal": False},
        "colour": {"type": "string", "x-data-item": "vehicle-colour"},
        "blue_badge": {"type": "boolean", "x-data-item": "blue-badge-holder"},
    },
}


def test_the_data_items_have_unique_ids_known_answer_types_and_english_and_welsh_words() -> None:
    assert len(BY_ID) == len(ITEMS)
    for item in ITEMS:
        assert item.answer_type in ANSWER_TYPES, item.id
        assert item.name["en"] and item.name["cy"] and item.definition["en"] and item.definition["cy"]
    assert BY_ID["date-of-birth"].identity_claim and BY_ID["health-condition"].special_category


def test_a_schema_gives_each_fields_item_type_and_whether_it_is_personal_or_special() -> None:
    fields = {field.name: field for field in check_schema(VEHICLES)}
    assert fields["registration"].data_item == "vehicle-registration" and fields["registration"].required
    assert not fields["make"].personal and fields["colour"].personal and not fields["colour"].required
    assert fields["blue_badge"].special_category and fields["blue_badge"].personal  # the item's own flag


def _with(change: Any) -> dict[str, Any]:
    schema = copy.deepcopy(VEHICLES)
    change(schema)
    return schema


@pytest.mark.parametrize(
    ("schema", "problem"),
    [
        ([], "JSON object"),
        ({"type": "array"}, "object schema"),
        (_with(lambda s: s.update({"$ref": "#/x"})), "object schema"),
        (_with(lambda s: s.update({"properties": {}})), "1 to 100 fields"),
        (_with(lambda s: s["properties"].update({f"f{n}": ADDRESS for n in range(100)})), "1 to 100"),
        (_with(lambda s: s.update({"required": ["engine"]})), "required"),
        (_with(lambda s: s["properties"]["make"].update({"pattern": "^(a+)+$"})), "not accepted"),
        (_with(lambda s: s["properties"]["make"].update({"type": "object"})), "type is one of"),
        (_with(lambda s: s["properties"]["make"].pop("x-data-item")), "x-data-item"),
        (_with(lambda s: s["properties"]["make"].update({"x-data-item": "shoe-size"})), "x-data-item"),
        (_with(lambda s: s["properties"]["blue_badge"].update({"x-special-category": False})), "special-category"),
        (_with(lambda s: s["properties"]["make"].update({"x-personal": "no"})), "true or false"),
        (_with(lambda s: s["properties"].update({"Make": ADDRESS})), "lower-case"),
        (_with(lambda s: s["properties"]["make"].update({"maxLength": -1})), "not valid JSON Schema"),
    ],
)  # fmt: skip
def test_a_schema_the_exchange_cannot_use_is_refused_saying_why(schema: object, problem: str) -> None:
    with pytest.raises(DatasetError, match=problem):
        check_schema(schema)
