"""Reading a provider's file of records (CSV or JSON) for the record store, in a child process under limits.

The file is the provider's, and a file can cost far more to read than it weighs (10 MB of empty CSV lines are
ten million rows; JSON nested a million deep), so it is read by core's `parse_untrusted` under `LIMITS`, as
notify reads a spreadsheet of recipients. Every record is checked before anything is stored, so a file loads
whole or not at all, and the refusal names each bad record by its row (CSV, the header being row 1) or its
position (JSON, from 1).

CSV: a header row naming each column: `subject:{scheme}` for a subject identifier (one of the dataset's
schemes), or a field of the dataset. Empty cells are absent values; integer, number and boolean fields are
read from their text (`true`/`false`, `yes`/`no`). JSON: an array of `{"subjects": {scheme: value},
"fields": {name: value}}`. Either way each record has at least one subject identifier, no identifier appears
twice in a file, and the fields are checked against the dataset's schema with nothing beside them.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import re
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

from govplatform.core.interfaces import ParseLimits, untrusted_parser
from govplatform.exchange.subjects import SubjectError, normalise

MAX_BYTES = 20 * 1024 * 1024
MAX_RECORDS = 200_000
SHOWN_PROBLEMS = 50
# 200,000 records of a dozen fields take about 10 s of CPU to check (jsonschema is the cost).
LIMITS = ParseLimits(cpu_seconds=60, memory_bytes=768 * 1024 * 1024, decompressed_bytes=MAX_BYTES, wall_seconds=120)
SUBJECT_COLUMN = "subject:"
_INTEGER = re.compile(r"^-?[0-9]{1,18}$")
_NUMBER = re.compile(r"^-?[0-9]{1,18}(\.[0-9]{1,18})?$")
_BOOLEANS = {"true": True, "yes": True, "false": False, "no": False}


@dataclasses.dataclass
class ReadRecords:
    """The records in the file's order (normalised identifiers by scheme, checked fields), or what is wrong."""

    records: list[tuple[dict[str, str], dict[str, Any]]]
    problems: list[str]
    problem_count: int = 0

    def problem(self, text: str) -> None:
        self.problem_count += 1
        if len(self.problems) < SHOWN_PROBLEMS:
            self.problems.append(text)


class _Refused(Exception):
    """The whole file cannot be read (not CSV or JSON, an unknown column): no record-by-record report."""


@untrusted_parser
def read_records(filename: str, data: bytes, schema: dict[str, Any], schemes: list[str]) -> ReadRecords:
    """Every record of the file, checked; run it through core's parse_untrusted with `LIMITS`."""
    read = ReadRecords([], [])
    try:
        text = data.decode("utf-8-sig")
        raw = _json_records(text) if filename.lower().endswith(".json") else _csv_records(text, schema, schemes)
    except UnicodeDecodeError:
        read.problem("The file is not UTF-8 text")
        return read
    except _Refused as refused:
        read.problem(str(refused))
        return read
    strict = {**schema, "additionalProperties": False}
    validator = Draft202012Validator(strict, format_checker=FormatChecker())
    seen: dict[str, str] = {}
    for where, subjects, fields in raw:
        if len(read.records) + read.problem_count >= MAX_RECORDS:
            read.problem(f"The file has more than {MAX_RECORDS:,} records: split it, or load the dataset's source")
            break
        if isinstance(fields, str):  # what the reader found wrong with the record itself
            read.problem(f"{where}: {fields}")
            continue
        if not isinstance(fields, dict):
            read.problem(f"{where}: a record is an object of subjects and fields, and nothing else")
            continue
        checked = _subjects(where, subjects, schemes, seen, read)
        if checked is None:  # one problem a record: the first found
            continue
        error = next(iter(validator.iter_errors(fields)), None)
        if error is not None:
            path = ".".join(str(part) for part in error.absolute_path) or "the record"
            read.problem(f"{where}: {path}: {error.message[:200]}")
        else:
            read.records.append((checked, fields))
    if not read.records and not read.problem_count:
        read.problem("The file has no records")
    return read


def _subjects(
    where: str, subjects: object, schemes: list[str], seen: dict[str, str], read: ReadRecords
) -> dict[str, str] | None:
    if not isinstance(subjects, dict) or not subjects:
        read.problem(f"{where}: the record has no subject identifier")
        return None
    checked = {}
    for scheme, value in subjects.items():
        if scheme not in schemes:
            read.problem(f"{where}: the dataset does not answer by {str(scheme)[:40]}")
            return None
        if value in (None, ""):
            continue
        try:
            checked[scheme] = normalise(scheme, value)
        except SubjectError as error:
            read.problem(f"{where}: {error}")
            return None
        key = f"{scheme}:{checked[scheme]}"
        if key in seen:
            read.problem(f"{where}: the same {scheme} as {seen[key]}")
            return None
        seen[key] = where
    if not checked:
        read.problem(f"{where}: the record has no subject identifier")
        return None
    return checked


def _json_records(text: str) -> list[tuple[str, object, object]]:
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        raise _Refused("The file is not JSON (an array of records)") from None
    if not isinstance(document, list):
        raise _Refused('A JSON file of records is an array of {"subjects": ..., "fields": ...} objects')
    found: list[tuple[str, object, object]] = []
    for number, record in enumerate(document, start=1):
        if not isinstance(record, dict) or set(record) - {"subjects", "fields"}:
            found.append((f"Record {number}", None, None))
        else:
            found.append((f"Record {number}", record.get("subjects"), record.get("fields", {})))
    return found


def _csv_records(text: str, schema: dict[str, Any], schemes: list[str]) -> list[tuple[str, object, object]]:
    rows = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [name.strip() for name in next(rows)]
    except StopIteration:
        raise _Refused("The file is empty") from None
    except csv.Error:
        raise _Refused("The file is not CSV") from None
    properties = schema.get("properties", {})
    for name in header:
        scheme = name[len(SUBJECT_COLUMN) :] if name.startswith(SUBJECT_COLUMN) else None
        if (scheme is None and name not in properties) or (scheme is not None and scheme not in schemes):
            raise _Refused(f"Column {name[:60]!r} is neither a field of the dataset nor subject:{{one of its schemes}}")
    if len(set(header)) != len(header):
        raise _Refused("A column is named twice in the header")
    found: list[tuple[str, object, object]] = []
    try:
        for number, row in enumerate(rows, start=2):
            if not any(cell.strip() for cell in row):
                continue
            where = f"Row {number}"
            if len(row) > len(header):
                found.append((where, None, "more cells than the header has columns"))
                continue
            subjects: dict[str, str] = {}
            fields: dict[str, Any] = {}
            for name, cell in zip(header, row, strict=False):
                value = cell.strip()
                if not value:
                    continue
                if name.startswith(SUBJECT_COLUMN):
                    subjects[name[len(SUBJECT_COLUMN) :]] = value
                else:
                    fields[name] = _typed(value, properties[name].get("type"))
            found.append((where, subjects, fields))
    except csv.Error as error:
        raise _Refused(f"The file is not CSV: {error}") from None
    return found


def _typed(value: str, kind: object) -> object:
    """A cell's text as its field's type; text that is not one is left as text, for the schema to refuse."""
    if kind == "integer" and _INTEGER.match(value):
        return int(value)
    if kind == "number" and _NUMBER.match(value):
        return float(value)
    if kind == "boolean" and value.lower() in _BOOLEANS:
        return _BOOLEANS[value.lower()]
    return value
