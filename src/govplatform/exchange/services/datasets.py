"""Datasets: what a provider offers, declared as a JSON Schema whose fields each name a data item.

A dataset's schema is an object schema of at most 100 fields. Each field (a property) has a plain `type`
(string, integer, number or boolean), names its data item with `x-data-item`, and may say `x-personal` (true
unless said otherwise) and `x-special-category` (the data item's own flag unless said otherwise; a field whose
item is special-category cannot say it is not). Only a small set of JSON Schema keywords is accepted (the
`KEYWORDS` below): no `pattern`, because a provider's regular expression would run on every record and could be
made to backtrack for ever, and no `$ref`, so a schema is read in one piece. Field names are what agreements
and queries name, so they are lower-case identifiers.
"""

from __future__ import annotations

import dataclasses
import re
import uuid
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from sqlalchemy import select

from govplatform.core.interfaces import (
    N_,
    Actor,
    OutboundGuard,
    OutboundRefused,
    UnitOfWork,
    UserFacingError,
    find_organisations,
    record_audit,
    utcnow,
)
from govplatform.exchange.data_items import BY_ID
from govplatform.exchange.models import Dataset, DatasetVersion
from govplatform.exchange.subjects import SCHEMES

MAX_FIELDS = 100
FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
TYPES = ("string", "integer", "number", "boolean")
KEYWORDS = {
    "type", "title", "description", "format", "maxLength", "minLength", "enum", "minimum", "maximum",
    "x-data-item", "x-personal", "x-special-category",
}  # fmt: skip
TOP_KEYWORDS = {"$schema", "type", "title", "description", "properties", "required", "additionalProperties"}
RECORDS, PROVIDER = "records", "provider"


class DatasetError(UserFacingError):
    """A dataset the exchange cannot declare or find as asked."""


@dataclasses.dataclass(frozen=True)
class Field:
    name: str
    data_item: str
    type: str
    personal: bool
    special_category: bool
    required: bool


@dataclasses.dataclass(frozen=True)
class DatasetView:
    id: uuid.UUID
    organisation_id: uuid.UUID
    name: str
    fields: tuple[Field, ...]
    subject_schemes: tuple[str, ...]
    source: str
    provider_url: str | None
    current_version: int
    schema: dict[str, Any]

    def field(self, name: str) -> Field | None:
        return next((field for field in self.fields if field.name == name), None)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "organisation_id": str(self.organisation_id),
            "name": self.name,
            "fields": [dataclasses.asdict(field) for field in self.fields],
            "subject_schemes": list(self.subject_schemes),
            "source": self.source,
            "version": self.current_version,
        }


def check_schema(schema: object) -> tuple[Field, ...]:
    """The schema's fields, or DatasetError saying what is wrong with it (the first thing found)."""
    if not isinstance(schema, dict):
        raise DatasetError(N_("A dataset's schema is a JSON object"))
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as error:
        raise DatasetError(
            N_("The schema is not valid JSON Schema: %(problem)s"), problem=error.message[:200]
        ) from None
    return fields_of(schema)


def fields_of(schema: dict[str, Any]) -> tuple[Field, ...]:
    """The fields of a schema by the exchange's own rules, without JSON Schema's meta-schema check (which costs
    milliseconds): the whole check for a schema `check_schema` accepted when it was declared."""
    extra = sorted(set(schema) - TOP_KEYWORDS)
    if schema.get("type") != "object" or extra:
        raise DatasetError(
            N_("A dataset's schema is an object schema with properties and nothing else (found %(extra)s)"),
            extra=", ".join(extra) or "no type object",
        )
    properties = schema.get("properties")
    if not isinstance(properties, dict) or not properties or len(properties) > MAX_FIELDS:
        raise DatasetError(N_("A dataset has 1 to 100 fields, each a property of the schema"))
    required = schema.get("required", [])
    if not isinstance(required, list) or any(name not in properties for name in required):
        raise DatasetError(N_("The schema's required list names only its own properties"))
    return tuple(_field(name, spec, name in required) for name, spec in properties.items())


def _field(name: str, spec: object, required: bool) -> Field:
    if not FIELD_NAME.match(name):
        raise DatasetError(N_("Field %(name)s: a field name is lower-case letters, digits and _"), name=name[:64])
    if not isinstance(spec, dict):
        raise DatasetError(N_("Field %(name)s: each field is an object schema"), name=name)
    unknown = sorted(set(spec) - KEYWORDS)
    if unknown:
        raise DatasetError(
            N_("Field %(name)s: these keywords are not accepted here: %(keywords)s"),
            name=name,
            keywords=", ".join(unknown),
        )
    if spec.get("type") not in TYPES:
        raise DatasetError(N_("Field %(name)s: type is one of string, integer, number or boolean"), name=name)
    item = BY_ID.get(spec.get("x-data-item", ""))
    if item is None:
        raise DatasetError(N_("Field %(name)s: x-data-item must name an item from the platform's list"), name=name)
    personal, special = spec.get("x-personal", True), spec.get("x-special-category", item.special_category)
    if not isinstance(personal, bool) or not isinstance(special, bool):
        raise DatasetError(N_("Field %(name)s: x-personal and x-special-category are true or false"), name=name)
    if item.special_category and not special:
        raise DatasetError(N_("Field %(name)s: %(item)s is special-category data"), name=name, item=item.id)
    return Field(name, item.id, spec["type"], personal or special, special, required)


def _view(row: Dataset) -> DatasetView:
    return DatasetView(
        row.id,
        row.organisation_id,
        row.name,
        fields_of(row.schema),
        tuple(row.subject_schemes),
        row.source,
        row.provider_url,
        row.current_version,
        row.schema,
    )


async def declare(
    uow: UnitOfWork,
    actor: Actor,
    organisation_id: uuid.UUID,
    name: str,
    schema: object,
    subject_schemes: list[str],
    provider_url: str | None = None,
    outbound: OutboundGuard | None = None,
) -> DatasetView:
    """Declare a dataset of the organisation's, answered from the record store or, given `provider_url`, by the
    provider's own system there (services/provider_calls.py), a URL the outbound guard allows now and at each
    call. The caller commits."""
    name = " ".join(name.split())
    if not name or len(name) > 255:
        raise DatasetError(N_("Enter a dataset name of up to 255 characters"))
    fields = check_schema(schema)
    if not subject_schemes or any(scheme not in SCHEMES for scheme in subject_schemes):
        raise DatasetError(
            N_("A dataset answers by one or more of the subject schemes nino, driving-licence, passport, name-dob")
        )
    if provider_url is not None:
        provider_url = await _checked_url(provider_url, outbound)
    if not await find_organisations(uow, [organisation_id]):
        raise DatasetError(N_("There is no organisation with that ID"))
    taken = select(Dataset.id).where(Dataset.organisation_id == organisation_id, Dataset.name == name)
    if await uow.session.scalar(taken) is not None:
        raise DatasetError(N_("The organisation already has a dataset called %(name)s"), name=name)
    assert isinstance(schema, dict)
    row = Dataset(
        id=uuid.uuid4(),
        organisation_id=organisation_id,
        name=name,
        schema=schema,
        subject_schemes=list(dict.fromkeys(subject_schemes)),
        source=PROVIDER if provider_url else RECORDS,
        provider_url=provider_url,
        current_version=0,
        created_at=utcnow(),
        created_by=actor.label,
    )
    uow.session.add(row)
    record_audit(
        uow, actor, "exchange.dataset_declared", "exchange_dataset", row.id, organisation_id=str(organisation_id),
        name=name, fields=[field.name for field in fields],
    )  # fmt: skip
    return _view(row)


async def _checked_url(url: str, outbound: OutboundGuard | None) -> str:
    if outbound is None:
        raise DatasetError(N_("This platform cannot call providers' systems"))
    if len(url) > 2048:
        raise DatasetError(N_("A provider's URL is at most 2048 characters"))
    try:
        return await outbound.check(url)
    except OutboundRefused as refused:
        raise DatasetError(N_("The provider's URL: %(problem)s"), problem=str(refused)) from None


async def find(uow: UnitOfWork, dataset_id: uuid.UUID) -> DatasetView | None:
    row = await uow.session.get(Dataset, dataset_id)
    return _view(row) if row is not None else None


async def require(uow: UnitOfWork, dataset_id: uuid.UUID) -> DatasetView:
    found = await find(uow, dataset_id)
    if found is None:
        raise DatasetError(N_("There is no dataset with that ID"))
    return found


async def list_datasets(uow: UnitOfWork, organisation_id: uuid.UUID | None = None) -> list[DatasetView]:
    query = select(Dataset).order_by(Dataset.name, Dataset.id)
    if organisation_id is not None:
        query = query.where(Dataset.organisation_id == organisation_id)
    return [_view(row) for row in await uow.session.scalars(query)]


async def versions(uow: UnitOfWork, dataset_id: uuid.UUID) -> list[DatasetVersion]:
    query = select(DatasetVersion).where(DatasetVersion.dataset_id == dataset_id).order_by(DatasetVersion.version)
    return list(await uow.session.scalars(query))
