"""Request and response models for core's machine API."""

from __future__ import annotations

import uuid

from pydantic import BaseModel


class OrganisationOut(BaseModel):
    id: uuid.UUID
    name: str


class ServiceOut(BaseModel):
    id: uuid.UUID
    name: str
    organisation: OrganisationOut


class CallingKeyOut(BaseModel):
    id: uuid.UUID
    name: str
    type: str


class WhoAmIOut(BaseModel):
    service: ServiceOut
    key: CallingKeyOut


class ErrorItem(BaseModel):
    error: str
    message: str


class ErrorOut(BaseModel):
    status_code: int
    errors: list[ErrorItem]
