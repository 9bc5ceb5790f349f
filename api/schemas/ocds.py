"""Open data: the top level of the OCDS 1.1.5 release and record packages."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
)

# Open data: the OCDS 1.1.5 packages, their top level (the releases in them follow the OCDS
# release schema: https://standard.open-contracting.org/1.1/en/schema/release/) ------------

_OCDS_VERSION = r"^(\d+\.)(\d+)$"


class OcdsPublisher(BaseModel):
    name: str


class OcdsRelease(BaseModel):
    """An OCDS release: the members every release has; the rest per the release schema."""

    model_config = ConfigDict(extra="allow")

    ocid: str
    id: str
    date: datetime
    tag: list[str]
    initiation_type: Literal["tender"] = Field(alias="initiationType")


class OcdsLinks(BaseModel):
    next: Annotated[str, Field(json_schema_extra={"format": "uri"})]


class ReleasePackage(BaseModel):
    """An OCDS release package: a page of the feed, with the link to the next page."""

    uri: Annotated[str, Field(json_schema_extra={"format": "uri"})]
    version: Annotated[str, Field(pattern=_OCDS_VERSION)]
    extensions: list[Annotated[str, Field(json_schema_extra={"format": "uri"})]]
    publisher: OcdsPublisher
    published_date: Annotated[
        datetime | None,
        Field(alias="publishedDate", description="absent from a page with no release"),
    ] = None
    releases: list[OcdsRelease]
    links: OcdsLinks


class OcdsRecord(BaseModel):
    model_config = ConfigDict(extra="allow")

    ocid: str
    releases: list[OcdsRelease]
    compiled_release: dict[str, Any] = Field(alias="compiledRelease")
    versioned_release: dict[str, Any] = Field(alias="versionedRelease")


class RecordPackage(BaseModel):
    """An OCDS record package: one contracting process, compiled and versioned."""

    uri: Annotated[str, Field(json_schema_extra={"format": "uri"})]
    version: Annotated[str, Field(pattern=_OCDS_VERSION)]
    extensions: list[Annotated[str, Field(json_schema_extra={"format": "uri"})]]
    publisher: OcdsPublisher
    published_date: datetime = Field(alias="publishedDate")
    packages: list[Annotated[str, Field(json_schema_extra={"format": "uri"})]]
    records: list[OcdsRecord]
