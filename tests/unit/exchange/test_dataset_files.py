"""Reading a provider's file of records: every record checked, the bad ones named, nothing half-read."""

from __future__ import annotations

import json

from govplatform.exchange.dataset_files import read_records
from tests.unit.exchange.test_datasets_schema import VEHICLES

SCHEMES = ["driving-licence", "nino"]
HEADER = "subject:driving-licence,subject:nino,registration,make,colour,blue_badge\n"


def _csv(*rows: str) -> bytes:
    return (HEADER + "".join(row + "\n" for row in rows)).encode()


def test_a_csv_file_is_read_with_identifiers_normalised_and_cells_typed() -> None:
    read = read_records(
        "keepers.csv",
        _csv("morga 657054 sm9ij,,AB12 CDE,FORD,Blue,yes", ",ab 12 34 56 c,XY34 FGH,,,false", "", ",,,,,"),
        VEHICLES,
        SCHEMES,
    )
    assert read.problems == []
    assert read.records == [
        ({"driving-licence": "MORGA657054SM9IJ"}, {"registration": "AB12 CDE", "make": "FORD", "colour": "Blue",
                                                   "blue_badge": True}),
        ({"nino": "AB123456C"}, {"registration": "XY34 FGH", "blue_badge": False}),
    ]  # fmt: skip


def test_a_json_file_is_read_the_same_way() -> None:
    records = [
        {
            "subjects": {"nino": "AB123456C", "driving-licence": "MORGA657054SM9IJ"},
            "fields": {"registration": "AB12 CDE"},
        }
    ]
    read = read_records("keepers.json", json.dumps(records).encode(), VEHICLES, SCHEMES)
    assert read.problems == [] and read.records[0][0] == {"nino": "AB123456C", "driving-licence": "MORGA657054SM9IJ"}


def test_each_bad_row_is_named_by_its_row_number_and_nothing_is_kept() -> None:
    read = read_records(
        "keepers.csv",
        _csv(
            "MORGA657054SM9IJ,,AB12 CDE,FORD,Blue,yes",
            "morga657054sm9ij,,XY34 FGH,,,",  # the same licence again, typed another way
            ",,NOSUBJ,,,",
            ",AB-123456-C,XY34 FGH,,,",
            ",AB123456D,,FORD,,",  # the required registration is missing
            ",AB123456A,TOOLONGREG,,,",
            ",AB123456B,AB12 CDE,,,maybe",
            ",CE123456A,AB12 CDE,,,,extra",
        ),
        VEHICLES,
        SCHEMES,
    )
    assert read.problem_count == 7
    assert [problem.split(":")[0] for problem in read.problems] == [f"Row {n}" for n in range(3, 10)]
    assert "the same driving-licence as Row 2" in read.problems[0]
    assert "no subject identifier" in read.problems[1] and "nino identifier is" in read.problems[2]
    assert "registration" in read.problems[3] and "maybe" in read.problems[5] and "more cells" in read.problems[6]


def test_a_file_that_is_not_what_it_says_is_refused_whole() -> None:
    extra = b'[{"subjects": {"nino": "AB123456C"}, "fields": {"registration": "A"}, "extra": 1}]'
    passport = b'[{"subjects": {"passport": "123456789"}, "fields": {"registration": "A"}}]'
    cases = {
        ("keepers.csv", b"subject:passport,registration\n1,2\n"): "neither a field",
        ("keepers.csv", b"registration,registration\nA,B\n"): "named twice",
        ("keepers.csv", b""): "empty",
        ("keepers.csv", b"\xff\xfe\x00junk"): "not UTF-8",
        ("keepers.csv", HEADER.encode()): "no records",
        ("keepers.json", b"[" * 100_000 + b"]" * 100_000): "not JSON",
        ("keepers.json", b'{"subjects": {}}'): "an array",
        ("keepers.json", extra): "nothing else",
        ("keepers.json", passport): "does not answer by",
        ("keepers.json", b'[{"subjects": {"nino": "AB123456C"}, "fields": {"registration": "A", "vin": "X"}}]'): "vin",
    }  # fmt: skip
    for (name, data), problem in cases.items():
        read = read_records(name, data, VEHICLES, SCHEMES)
        assert read.records == [] and problem in " ".join(read.problems), (name, data[:40], read.problems)
