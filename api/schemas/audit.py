"""The auditors' answers: red flags, a stream's history, the ledger's checkpoint and proofs."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.common import HashHex, TimeText, UuidText


class RedFlagThresholdsOut(BaseModel):
    min_submission_days: int
    disqualified_share: Annotated[str, Field(description="a decimal fraction, e.g. '0.5'")]


class RedFlagOut(BaseModel):
    name: str
    indicator: str
    tender_id: UuidText
    reference: str
    title: str
    entity: str
    evidence: Annotated[dict[str, Any], Field(description="what raised it: the indicator's own")]


class RedFlagsOut(BaseModel):
    indicators: Annotated[dict[str, str], Field(description="each indicator's name, by code")]
    thresholds: RedFlagThresholdsOut
    flags: list[RedFlagOut]


class StoredEventOut(BaseModel):
    """A stored event, as JSON: its position in the store, its aggregate's version, its
    stable topic, who did it, and its fields (secrets redacted)."""

    model_config = ConfigDict(extra="forbid")

    position: int
    version: int
    topic: str
    type: str
    time: TimeText
    actor: dict[str, Any] | None
    payload: dict[str, Any]


class EventsOut(BaseModel):
    id: UuidText
    events: list[StoredEventOut]


class CheckpointOut(BaseModel):
    """A signed ledger checkpoint, as stored: its fields in the order PostgreSQL's ``jsonb``
    keeps them (the shorter names first), as this answer has always had them."""

    model_config = ConfigDict(extra="forbid")

    root: HashHex
    time: TimeText
    type: Literal["checkpoint"]
    key_id: str
    origin: str
    algorithm: str
    signature: Annotated[str, Field(description="base64 of the Ed25519 signature")]
    tree_size: int


class InclusionProofOut(BaseModel):
    """RFC 6962: the hashes from leaf ``leaf_index`` to the root of the tree of
    ``tree_size`` leaves."""

    leaf_index: int
    tree_size: int
    leaf_hash: HashHex
    root: HashHex
    proof: list[HashHex]


class ConsistencyProofOut(BaseModel):
    """RFC 6962: the hashes that show the tree of ``first`` leaves is the start of the tree
    of ``second``."""

    first: int
    second: int
    first_root: HashHex
    second_root: HashHex
    proof: list[HashHex]
