"""The ``procurement`` command: serve, worker, migrate, users, vendors, projections, demo."""

from __future__ import annotations

import typer

from api.cli import audit, read_models, server, users, vendor_tools, vendors

app = typer.Typer(help="Sindh e-procurement platform.", no_args_is_help=True)
app.add_typer(users.users, name="users")
app.add_typer(vendors.vendors, name="vendors")
app.add_typer(read_models.projections, name="projections")
app.add_typer(read_models.ocds, name="ocds")
app.add_typer(audit.audit_cli, name="audit")
app.command()(server.migrate)
app.command()(server.serve)
app.command()(server.worker)
app.command()(server.demo)
app.command()(vendor_tools.seal)
app.command("verify-receipt")(vendor_tools.verify_receipt)


def main() -> None:
    app()
