"""The answers every route shares: problems, writes, tokens, readiness."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
)

from api.read_tokens import ReadTokens
from procurement.store.application_base import WriteResult


class ProblemError(BaseModel):
    """Where a request is not valid, and why."""

    loc: list[str]
    message: str


class Problem(BaseModel):
    """Every error the API answers: RFC 9457 ``application/problem+json`` (``api/errors.py``).
    ``/ready`` adds what it found (``projections``, ``failing``)."""

    model_config = ConfigDict(extra="allow")

    type: Annotated[str, Field(pattern=r"^urn:sindh-procurement:problem:[a-z][a-z0-9_]*$")]
    title: str
    status: Annotated[int, Field(ge=400, le=599)]
    detail: str
    instance: str
    code: Annotated[
        str,
        Field(
            pattern=r"^[a-z][a-z0-9_]*$",
            description="stable, for programs: each answer lists its codes in x-codes",
        ),
    ]
    request_id: Annotated[str, Field(description="as the X-Request-ID header")]
    errors: Annotated[
        list[ProblemError], Field(description="validation problems: each field refused")
    ] = []


class WriteOut(BaseModel):
    id: UUID
    version: int
    position: int
    read_token: str = Field(
        description="pass it as read_token= to a public read to see this write (opaque)"
    )

    @classmethod
    def of(cls, result: WriteResult, tokens: ReadTokens) -> WriteOut:
        return cls(
            id=result.id,
            version=result.version,
            position=result.position,
            read_token=tokens.issue(result.position),
        )


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 (a scheme name, not a secret)
    expires_in: int


class ReadyOut(BaseModel):
    status: str
    projections: dict[str, str]
    checked_at: datetime
