"""Signing in (with a second factor's code) and out (on the server), vendors registering, an
account's own settings (password, second factor), a password reset with an administrator's
code, and the interface language."""

from __future__ import annotations

import uuid
from functools import partial
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.concurrency import sync_to_thread
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.response import Redirect, Template
from markupsafe import Markup

from api.account_schemas import PasswordChange, PasswordReset, SecondFactorConfirmation
from api.errors import ApiProblem, status_for
from api.portal.forms import FormState, form_values, parse, refused
from api.portal.guards import actor_of, signed_in_account
from api.portal.i18n import translator
from api.portal.pages import flash, redirect, render
from api.portal.session import (
    LANGUAGES,
    language_of,
    portal_user,
    session_of,
    sign_in,
    sign_out,
)
from api.rate_limits import limiter_of
from api.schemas import TokenRequest, VendorRegistration
from api.standing import before_registration, registered
from domain.account import account_id_for
from domain.errors import ProcurementError
from domain.values import Actor, Role
from procurement.commands.application import ProcurementApplication
from procurement.crypto import second_factor

SECOND_FACTOR_PAGE = "/portal/account/second-factor"
CODE_FIELDS = {
    "second_factor_required": "code",
    "invalid_second_factor": "code",
    "invalid_reset_code": "code",
    "wrong_current_password": "current_password",
}


def sign_in_body(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The sign-in form as the token request: its one code field is a TOTP code (six
    digits) or a recovery code."""
    body = [(k, v) for k, v in pairs if k not in {"next", "code"}]
    code = dict(pairs).get("code", "").strip()
    if code:
        body.append(("totp_code" if second_factor.looks_like_totp(code) else "recovery_code", code))
    return body


def safe_next(target: str | None, default: str = "/portal/tenders") -> str:
    """Only a path of this site: never an open redirect to somewhere else."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default


HOME_OF_ROLE = {
    Role.VENDOR: "/portal/vendor",
    Role.OFFICER: "/portal/officer",
    Role.AUDITOR: "/portal/audit",
    Role.REGULATOR: "/portal/regulator",
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
        data, form = parse(TokenRequest, sign_in_body(pairs))
        form.values = dict(pairs)
        for secret in ("password", "code"):
            form.values.pop(secret, None)  # never echo a password or a code back
        if data is None:
            return render(request, "login.html", status_code=422, form=form)
        try:
            async with limiter_of(request).sign_in(request, data.username):
                principal = await sync_to_thread(
                    partial(
                        procurement.authenticate,
                        data.username,
                        data.password,
                        totp_code=data.totp_code,
                        recovery_code=data.recovery_code,
                        request_id=_request_id(request),
                    )
                )
        except ProcurementError as error:
            state = refused(form, error, CODE_FIELDS)
            return render(request, "login.html", status_code=status_for(error), form=state)
        except ApiProblem as problem:
            form.summary.append(f"{problem.detail} ({problem.code})")
            return render(request, "login.html", status_code=problem.status_code, form=form)
        sign_in(request, principal)
        if principal.enrolment_only:
            return redirect(SECOND_FACTOR_PAGE)
        return redirect(
            safe_next(form.values.get("next"), HOME_OF_ROLE.get(principal.role, "/portal"))
        )

    @post("/logout", name="portal:logout")
    async def logout(
        self, request: Request[Any, Any, Any], procurement: NamedDependency[ProcurementApplication]
    ) -> Redirect:
        """Signs out on the server: every session and token of the account ends (an event),
        not only this browser's cookie."""
        if portal_user(request) is not None:
            actor = actor_of(request)
            await sync_to_thread(procurement.sign_out, actor)
            request.app.state.epochs.forget(actor.account_id)
        sign_out(request)
        return redirect("/portal/tenders")

    @get("/account", name="portal:account", guards=[signed_in_account])
    async def account(
        self, request: Request[Any, Any, Any], procurement: NamedDependency[ProcurementApplication]
    ) -> Template:
        view = await sync_to_thread(procurement.account_view, actor_of(request))
        return render(request, "account.html", account=view, form=FormState())

    @post("/account/password", name="portal:password", guards=[signed_in_account])
    async def change_password(
        self, request: Request[Any, Any, Any], procurement: NamedDependency[ProcurementApplication]
    ) -> Template | Redirect:
        """Every session of the account ends, this one too: sign in with the new password."""
        actor = actor_of(request)
        data, form = parse(PasswordChange, await form_values(request))
        form.values = {}  # never echo a password back
        if data is not None:
            try:
                async with limiter_of(request).sign_in(request, str(actor.account_id)):
                    await sync_to_thread(
                        partial(
                            procurement.change_password,
                            actor,
                            current_password=data.current_password,
                            new_password=data.new_password,
                        )
                    )
            except ProcurementError as error:
                form = refused(form, error, CODE_FIELDS)
            except ApiProblem as problem:
                form.summary.append(f"{problem.detail} ({problem.code})")
            else:
                request.app.state.epochs.forget(actor.account_id)
                sign_out(request)
                flash(
                    request,
                    translator(language_of(request))(
                        "Your password is changed: sign in with the new one."
                    ),
                )
                return redirect("/portal/login")
        view = await sync_to_thread(procurement.account_view, actor)
        return render(request, "account.html", status_code=422, account=view, form=form)

    @get("/account/second-factor", name="portal:second-factor", guards=[signed_in_account])
    async def second_factor_page(
        self, request: Request[Any, Any, Any], procurement: NamedDependency[ProcurementApplication]
    ) -> Template:
        return await self._second_factor(request, procurement, FormState())

    async def _second_factor(
        self,
        request: Request[Any, Any, Any],
        procurement: ProcurementApplication,
        form: FormState,
        status_code: int = 200,
    ) -> Template:
        view = await sync_to_thread(procurement.account_view, actor_of(request))
        qr = None
        if view.pending_enrolment is not None:
            qr = Markup(second_factor.qr_svg(view.pending_enrolment[1]))  # noqa: S704 (segno's SVG)
        return render(
            request,
            "second_factor.html",
            status_code=status_code,
            account=view,
            qr=qr,
            form=form,
        )

    @post("/account/second-factor", name="portal:second-factor-start", guards=[signed_in_account])
    async def start_second_factor(
        self, request: Request[Any, Any, Any], procurement: NamedDependency[ProcurementApplication]
    ) -> Redirect:
        await sync_to_thread(procurement.start_second_factor, actor_of(request))
        return redirect(SECOND_FACTOR_PAGE)

    @post(
        "/account/second-factor/confirm",
        name="portal:second-factor-confirm",
        guards=[signed_in_account],
    )
    async def confirm_second_factor(
        self, request: Request[Any, Any, Any], procurement: NamedDependency[ProcurementApplication]
    ) -> Template:
        """The recovery codes are shown on this answer, once (never stored in the clear)."""
        actor = actor_of(request)
        data, form = parse(SecondFactorConfirmation, await form_values(request))
        form.values = {}
        if data is None:
            return await self._second_factor(request, procurement, form, 422)
        try:
            async with limiter_of(request).sign_in(request, str(actor.account_id)):
                codes, principal, _ = await sync_to_thread(
                    procurement.confirm_second_factor, actor, data.code, data.current_password
                )
        except ProcurementError as error:
            state = refused(form, error, CODE_FIELDS)
            return await self._second_factor(request, procurement, state, status_for(error))
        except ApiProblem as problem:
            form.summary.append(f"{problem.detail} ({problem.code})")
            return await self._second_factor(request, procurement, form, problem.status_code)
        request.app.state.epochs.forget(actor.account_id)
        sign_in(request, principal)  # the old session ended with the change; this is a new one
        return render(
            request,
            "recovery_codes.html",
            codes=codes,
            home=HOME_OF_ROLE.get(principal.role, "/portal"),
        )

    @get("/password-reset", name="portal:password-reset")
    async def password_reset_form(self, request: Request[Any, Any, Any]) -> Template:
        return render(request, "password_reset.html", form=FormState())

    @post("/password-reset", name="portal:password-reset-post")
    async def password_reset(
        self, request: Request[Any, Any, Any], procurement: NamedDependency[ProcurementApplication]
    ) -> Template | Redirect:
        pairs = await form_values(request)
        data, form = parse(PasswordReset, pairs)
        form.values = {"username": dict(pairs).get("username", "")}
        if data is None:
            return render(request, "password_reset.html", status_code=422, form=form)
        try:
            async with limiter_of(request).sign_in(request, data.username):
                written = await sync_to_thread(
                    procurement.complete_password_reset,
                    data.username,
                    data.code,
                    data.new_password,
                    _request_id(request),
                )
        except ProcurementError as error:
            state = refused(form, error, CODE_FIELDS)
            return render(request, "password_reset.html", status_code=status_for(error), form=state)
        except ApiProblem as problem:
            form.summary.append(f"{problem.detail} ({problem.code})")
            return render(
                request, "password_reset.html", status_code=problem.status_code, form=form
            )
        request.app.state.epochs.forget(written.id)
        flash(
            request,
            translator(language_of(request))("Your password is changed: sign in with the new one."),
        )
        return redirect("/portal/login")

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
        actor = Actor(
            account_id=account_id_for(data.username),
            role=Role.VENDOR,
            request_id=_request_id(request),
        )
        standing = await before_registration(request, data.ntn)  # on the vendor's page next
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
        registered(request, actor, data.ntn, standing)
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


def _request_id(request: Request[Any, Any, Any]) -> str:
    request_id: str = request.scope.get("state", {}).get("request_id") or uuid.uuid4().hex
    return request_id
