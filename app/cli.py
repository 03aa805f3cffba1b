"""The `tribune` command."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from alembic import command
from alembic.config import Config
from pydantic import ValidationError
from sqlmodel import Session

from app import dates
from app.config import Settings
from app.db import make_engine, writer
from app.errors import DomainError
from app.models import Role, utcnow
from app.models.schemas import UserCreate
from app.services import accounts, articles

ROOT = Path(__file__).resolve().parent.parent

cli = typer.Typer(help="Tribune: the newsroom's debate forum.", no_args_is_help=True, add_completion=False)
db_cli = typer.Typer(help="Database schema.", no_args_is_help=True)
cli.add_typer(db_cli, name="db")


def alembic_config(url: str) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def _settings() -> Settings:
    settings = Settings()
    settings.instance_path.mkdir(parents=True, exist_ok=True)
    dates.set_zone(settings.timezone)  # the commands that send mail date it as the site does
    return settings


@db_cli.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Bring the database schema up to date (creates the database if needed)."""
    settings = _settings()
    command.upgrade(alembic_config(settings.effective_database_url), revision)
    typer.echo(f"database at {revision}")


# A relative step such as -1 is an argument, not an option.
@db_cli.command("downgrade", context_settings={"ignore_unknown_options": True})
def db_downgrade(
    revision: Annotated[str, typer.Argument(help='a revision id, -N for N steps back, or "base"')],
    yes: Annotated[bool, typer.Option("--yes", help='drop every table ("base") without asking')] = False,
) -> None:
    """Step the schema back to REVISION: -1 undoes the last migration; "base" drops every table (and
    every row), after a confirmation or with --yes."""
    url = _settings().effective_database_url
    if revision == "base" and not yes:
        typer.confirm(f"Drop every table of {_shown(url)}, and all the data in them?", abort=True)
    command.downgrade(alembic_config(url), revision)
    typer.echo(f"database stepped back to {revision}")


def _shown(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@cli.command("init")
def init() -> None:
    """Upgrade the database, then load the default article if there is none."""
    db_upgrade("head")
    engine = make_engine(_settings().effective_database_url)
    with Session(writer(engine)) as session:
        article = articles.ensure_default_article(session)
        session.commit()
        if article is not None:
            typer.echo(f"loaded default article: /articles/{article.slug}")
    engine.dispose()


@cli.command("import-article")
def import_article(path: Path) -> None:
    """Import a Markdown file with front matter; importing the same slug again updates it."""
    try:
        source = articles.parse_markdown_article(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise typer.BadParameter(str(exc)) from exc
    except DomainError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    engine = make_engine(_settings().effective_database_url)
    with Session(writer(engine)) as session:
        article, created = articles.import_article(session, source=source)
        session.commit()
        typer.echo(f"{'created' if created else 'updated'}: /articles/{article.slug}")
    engine.dispose()


@cli.command("create-user")
def create_user(
    name: str,
    role: Annotated[Role, typer.Option(help="reader, moderator, editor or admin")] = Role.reader,
    email: Annotated[str | None, typer.Option(help="defaults to NAME@localhost")] = None,
    password: Annotated[str | None, typer.Option(envvar="TRIBUNE_NEW_PASSWORD", hidden=True)] = None,
) -> None:
    """Create an account with a role; asks for the password."""
    if password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        data = UserCreate(
            username=name, email=email or f"{name.lower()}@localhost.localdomain", password=password
        )
    except ValidationError as exc:
        for error in exc.errors():
            typer.echo(
                f"error: {error['loc'][0]}: {str(error['msg']).removeprefix('Value error, ')}", err=True
            )
        raise typer.Exit(2) from exc
    engine = make_engine(_settings().effective_database_url)
    with Session(writer(engine)) as session:
        try:
            user = accounts.register(session, data=data, role=role)
        except DomainError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc
        # The operator vouches for the address of an account they create: no verification link.
        user.email_verified_at = utcnow()
        session.commit()
        typer.echo(f"created {user.username} ({user.role.value})")
    engine.dispose()


@cli.command("reset-password")
def reset_password(
    name: str,
    password: Annotated[str | None, typer.Option(envvar="TRIBUNE_NEW_PASSWORD", hidden=True)] = None,
) -> None:
    """Set a new password for NAME (asked for); every session of the account ends."""
    from app.services.mail import flows

    if password is None:
        password = typer.prompt("New password", hide_input=True, confirmation_prompt=True)
    engine = make_engine(_settings().effective_database_url)
    with Session(writer(engine)) as session:
        user = accounts.get_by_username(session, name)
        if user is None:
            typer.echo(f"error: no account named {name}", err=True)
            raise typer.Exit(2)
        try:
            flows.set_password(session, user=user, password=password)
        except DomainError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc
        session.commit()
        typer.echo(f"password of {user.username} changed; its sessions are ended")
    engine.dispose()


mail_cli = typer.Typer(help="Mail: the outbox and its sender.", no_args_is_help=True)
cli.add_typer(mail_cli, name="mail")


@mail_cli.command("send")
def mail_send() -> None:
    """Deliver what is due now (what the app processes' background sender does), then exit."""
    from app.services.mail import MailConfig
    from app.services.mail.notify import dispatch
    from app.services.mail.outbox import deliver_due
    from app.services.mail.transport import make_transport

    settings = _settings()
    config = MailConfig.of(settings)
    engine = make_engine(settings.effective_database_url)
    transport = make_transport(config.smtp_url, settings.instance_path / "outbox")
    while dispatch(engine, config):
        pass
    sent = 0
    while batch := deliver_due(engine, config, transport):
        sent += batch
    engine.dispose()
    typer.echo(f"sent {sent}")


@mail_cli.command("status")
def mail_status() -> None:
    """Count the outbox's messages by state, and list the dead ones."""
    from app.services.mail import outbox

    engine = make_engine(_settings().effective_database_url)
    with Session(engine) as session:
        for state, n in outbox.counts(session).items():
            typer.echo(f"{state}: {n}")
        for message in outbox.dead_messages(session):
            typer.echo(f"dead #{message.id} to {message.recipient}: {message.subject} ({message.last_error})")
    engine.dispose()


@mail_cli.command("retry")
def mail_retry() -> None:
    """Give every dead message a fresh set of attempts."""
    from app.services.mail import outbox

    engine = make_engine(_settings().effective_database_url)
    with Session(writer(engine)) as session:
        n = outbox.retry_dead(session)
        session.commit()
    engine.dispose()
    typer.echo(f"{n} message(s) queued again")


@cli.command("serve")
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64)] = 1,
    reload: bool = False,
    log_level: Annotated[str, typer.Option(help="debug, info, warning or error")] = "info",
    access_log: Annotated[bool, typer.Option(help="one JSON line per request")] = True,
) -> None:
    """Serve Tribune with uvicorn (N worker processes with --workers N)."""
    import uvicorn

    if workers > 1:
        # Several processes on one SQLite file: a writer may wait for another's lock, in a thread.
        os.environ["TRIBUNE_INLINE_SQLITE"] = "false"
    _settings().effective_secret_key  # noqa: B018 - generate the key once, before workers race to
    from app.observability import logging_config

    uvicorn.run(
        "app.asgi:app",
        host=host,
        port=port,
        workers=workers,
        reload=reload,
        proxy_headers=False,
        server_header=False,
        date_header=True,
        log_level=log_level,
        # JSON lines; the access log is ours (with the request id and the route template).
        log_config=logging_config(log_level, access=access_log),
        access_log=False,
    )


@cli.command("backup")
def backup(path: Path) -> None:
    """Copy the SQLite database to PATH while Tribune keeps serving (SQLite's online backup API).
    For PostgreSQL, use pg_dump (see the README)."""
    import sqlite3

    from sqlalchemy.engine import make_url

    url = make_url(_settings().effective_database_url)
    if url.get_backend_name() != "sqlite" or not url.database:
        typer.echo(
            "error: this database is not SQLite; back PostgreSQL up with "
            "`pg_dump --format=custom --file=FILE DATABASE_URL` (see the README)",
            err=True,
        )
        raise typer.Exit(2)
    if path.exists():
        typer.echo(f"error: {path} exists; choose a new file", err=True)
        raise typer.Exit(2)
    source = sqlite3.connect(f"file:{url.database}?mode=ro", uri=True, timeout=30)
    target = sqlite3.connect(path)
    try:
        # Copied in steps of 1,024 pages so writers are held up only briefly at a time.
        source.backup(target, pages=1024, sleep=0.005)
    finally:
        target.close()
        source.close()
    typer.echo(f"backed up {url.database} to {path}")


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
