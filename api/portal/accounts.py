"""Signing in and out, vendors registering, and the interface language."""

from __future__ import annotations

import uuid
from functools import partial
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.concurrency import sync_to_thread
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.response import Redirect, Template

from api.errors import ApiProblem, status_for
from api.portal.forms import FormState, form_values, parse, refused
from api.portal.pages import redirect, render
from api.portal.session import LANGUAGES, session_of, sign_in, sign_out
from api.rate_limits import limiter_of
from api.schemas import TokenRequest, VendorRegistration
from domain.account import account_id_for
from domain.errors import ProcurementError
from domain.values import Actor, Role
from procurement.application import ProcurementApplication


def safe_next(target: str | None, default: str = "/portal/tenders") -> str:
    """Only a path of this site: never an open redirect to somewhere else."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default


HOME_OF_ROLE = {
    Role.VENDOR: "/portal/vendor",
    Role.OFFICER: "/portal/officer",
    Role.AUDITOR: "/portal/audit",
}


class AccountPages(Controller):
    path = "/portal"
    include_in_schema = False

    @get("/login", name="portal:login")
    async def login_form(
        self,
        request: Request[Any, Any, Any],
        next_path: Annotated[str, QueryParameter(name="next", max_length=2000)] = "",
    ) -> Template:
        return render(request, "login.html", form=FormState(values={"next": next_path}))

    @post("/login", name="portal:login-post")
    async def login(
        self, request: Request[Any, Any, Any], procurement: NamedDependency[ProcurementApplication]
    ) -> Template | Redirect:
        pairs = await form_values(request)
        data, form = parse(TokenRequest, [(k, v) for k, v in pairs if k != "next"])
        form.values = dict(pairs)
        form.values.pop("password", None)  # never echo a password back
        if data is None:
            return render(request, "login.html", status_code=422, form=form)
        try:
            async with limiter_of(request).sign_in(request, data.username):
                principal = await sync_to_thread(
                    procurement.authenticate, data.username, data.password
                )
        except ProcurementError as error:
            return render(request, "login.html", status_code=401, form=refused(form, error))
        except ApiProblem as problem:
            form.summary.append(f"{problem.detail} ({problem.code})")
            return render(request, "login.html", status_code=problem.status_code, form=form)
        sign_in(request, principal)
        return redirect(
            safe_next(form.values.get("next"), HOME_OF_ROLE.get(principal.role, "/portal"))
        )

    @post("/logout", name="portal:logout")
    async def logout(self, request: Request[Any, Any, Any]) -> Redirect:
        sign_out(request)
        return redirect("/portal/tenders")

    @get("/register", name="portal:register")
    async def register_form(self, request: Request[Any, Any, Any]) -> Template:
        return render(request, "register.html", form=FormState())

    @post("/register", name="portal:register-post")
    async def register(
        self, request: Request[Any, Any, Any], procurement: NamedDependency[ProcurementApplication]
    ) -> Template | Redirect:
        pairs = await form_values(request)
        data, form = parse(VendorRegistration, pairs)
        form.values.pop("password", None)
        if data is None:
            return render(request, "register.html", status_code=422, form=form)
        try:
            await limiter_of(request).check_registration(request)
        except ApiProblem as problem:
            form.summary.append(f"{problem.detail} ({problem.code})")
            return render(request, "register.html", status_code=problem.status_code, form=form)
        request_id = request.scope.get("state", {}).get("request_id") or uuid.uuid4().hex
        actor = Actor(
            account_id=account_id_for(data.username), role=Role.VENDOR, request_id=request_id
        )
        try:
            await sync_to_thread(
                partial(
                    procurement.register_account,
                    actor,
                    username=data.username,
                    password=data.password,
                    role=Role.VENDOR,
                    vendor=data.profile(),
                )
            )
            principal = await sync_to_thread(procurement.authenticate, data.username, data.password)
        except ProcurementError as error:
            fields = {"username_taken": "username"}
            state = refused(form, error, fields)
            return render(request, "register.html", status_code=status_for(error), form=state)
        sign_in(request, principal)
        return redirect("/portal/vendor")

    @post("/language", name="portal:language")
    async def language(self, request: Request[Any, Any, Any]) -> Redirect:
        form = await request.form()
        chosen = form.get("lang")
        session = dict(session_of(request))
        if chosen in LANGUAGES:
            session["lang"] = chosen
        request.set_session(session)
        next_path = form.get("next")
        return redirect(safe_next(next_path if isinstance(next_path, str) else None))
