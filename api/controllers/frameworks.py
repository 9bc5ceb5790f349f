"""Officers: a framework agreement's call-offs (docs/frameworks.md): direct orders to one of
its suppliers, mini-competitions among them (tenders of their own), and what they read of it.
"""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_201_CREATED

from api.auth import requires_role
from api.openapi import TENDER, WRITE, bearer, problems
from api.read_tokens import ReadTokens
from api.schemas import DirectOrderIn, TenderIn, WriteOut
from api.schemas.frameworks import FrameworkOut
from domain.errors import (
    FrameworkNotAwardedError,
    InvalidTermsError,
    NotAFrameworkError,
    NotAFrameworkSupplierError,
    OutsideFrameworkPeriodError,
    OverFrameworkCeilingError,
    VendorDebarredError,
)
from domain.values import Actor, Role
from procurement.commands.application import ProcurementApplication

CALL_OFF = (*TENDER, NotAFrameworkError, FrameworkNotAwardedError, OutsideFrameworkPeriodError)
"""A call-off of the officer's entity's framework, signed and within its period."""


class FrameworkController(Controller):
    path = "/tenders/{framework_id:uuid}"
    tags = ["officer"]  # noqa: RUF012 (litestar reads a class attribute)
    guards = [requires_role(Role.OFFICER)]  # noqa: RUF012
    security = bearer(Role.OFFICER)

    @post(
        "/direct-orders",
        status_code=HTTP_201_CREATED,
        sync_to_thread=True,
        summary="Call off from a framework by direct order to one of its suppliers",
        responses=problems(
            *CALL_OFF,
            NotAFrameworkSupplierError,
            OverFrameworkCeilingError,
            InvalidTermsError,
            VendorDebarredError,
            *WRITE,
        ),
    )
    def direct_order(  # noqa: PLR0917 (litestar injects each by name)
        self,
        framework_id: FromPath[UUID],
        data: JSONBody[DirectOrderIn],
        actor: NamedDependency[Actor],
        idempotency_key: NamedDependency[str | None],
        procurement: NamedDependency[ProcurementApplication],
        read_tokens: NamedDependency[ReadTokens],
    ) -> WriteOut:
        result = procurement.place_direct_order(
            actor,
            framework_id,
            data.vendor_id,
            data.title,
            data.description,
            data.value.to_domain(),
            data.reason,
            idempotency_key=idempotency_key,
        )
        return WriteOut.of(result, read_tokens)

    @post(
        "/mini-competitions",
        status_code=HTTP_201_CREATED,
        sync_to_thread=True,
        summary="Call off from a framework by mini-competition: a draft open to its suppliers",
        responses=problems(*CALL_OFF, InvalidTermsError, *WRITE),
    )
    def mini_competition(  # noqa: PLR0917 (litestar injects each by name)
        self,
        framework_id: FromPath[UUID],
        data: JSONBody[TenderIn],
        actor: NamedDependency[Actor],
        idempotency_key: NamedDependency[str | None],
        procurement: NamedDependency[ProcurementApplication],
        read_tokens: NamedDependency[ReadTokens],
    ) -> WriteOut:
        result = procurement.draft_mini_competition(
            actor, framework_id, data.to_domain(), idempotency_key
        )
        return WriteOut.of(result, read_tokens)

    @get(
        "/framework",
        sync_to_thread=True,
        summary="A framework of my entity: its suppliers, call-offs and ceiling used",
        responses=problems(*TENDER, NotAFrameworkError),
    )
    def read(
        self,
        framework_id: FromPath[UUID],
        actor: NamedDependency[Actor],
        procurement: NamedDependency[ProcurementApplication],
    ) -> FrameworkOut:
        return FrameworkOut.model_validate(procurement.framework_for_officer(actor, framework_id))
