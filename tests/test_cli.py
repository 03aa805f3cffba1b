"""The `tribune` command, run against a real database of its own."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlmodel import Session, select
from typer.testing import CliRunner

from app.cli import alembic_config, cli
from app.db import make_engine
from app.models import Article, Role, User
from app.services.articles import DEFAULT_ARTICLE

runner = CliRunner()


@pytest.fixture
def instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("TRIBUNE_DATABASE_URL", url)
    monkeypatch.setenv("TRIBUNE_INSTANCE_PATH", str(tmp_path / "instance"))
    return url


def test_init_migrates_and_loads_the_default_article_once(instance: str) -> None:
    first = runner.invoke(cli, ["init"])
    assert first.exit_code == 0, first.output
    assert "/articles/souverainete-avec-microsoft-ou-pas" in first.output
    again = runner.invoke(cli, ["init"])
    assert again.exit_code == 0
    assert "loaded default article" not in again.output
    with Session(make_engine(instance)) as session:
        assert len(session.exec(select(Article)).all()) == 1


def test_import_article_creates_then_updates_by_slug(instance: str, tmp_path: Path) -> None:
    runner.invoke(cli, ["db", "upgrade"])
    source = tmp_path / "a.md"
    source.write_text(DEFAULT_ARTICLE.read_text("utf-8"), "utf-8")
    assert "created" in runner.invoke(cli, ["import-article", str(source)]).output
    source.write_text(source.read_text("utf-8").replace('title: "', 'title: "Mis à jour — ', 1), "utf-8")
    assert "updated" in runner.invoke(cli, ["import-article", str(source)]).output
    with Session(make_engine(instance)) as session:
        (article,) = session.exec(select(Article)).all()
        assert article.title.startswith("Mis à jour")


def test_import_of_a_file_without_front_matter_fails_clearly(instance: str, tmp_path: Path) -> None:
    runner.invoke(cli, ["db", "upgrade"])
    bad = tmp_path / "bad.md"
    bad.write_text("pas d'en-tête", "utf-8")
    result = runner.invoke(cli, ["import-article", str(bad)])
    assert result.exit_code == 2
    assert "en-tête" in result.output


def test_create_user_asks_for_the_password_and_sets_the_role(instance: str) -> None:
    runner.invoke(cli, ["db", "upgrade"])
    result = runner.invoke(
        cli, ["create-user", "Chef", "--role", "editor"], input="motdepasse-fort\nmotdepasse-fort\n"
    )
    assert result.exit_code == 0, result.output
    with Session(make_engine(instance)) as session:
        user = session.exec(select(User).where(User.username_key == "chef")).one()
        assert user.role == Role.editor
        assert user.password_hash.startswith("$argon2")


def test_create_user_refuses_passwords_that_differ(instance: str) -> None:
    runner.invoke(cli, ["db", "upgrade"])
    result = runner.invoke(cli, ["create-user", "quelquun"], input="motdepasse-un\nmotdepasse-deux\n")
    assert result.exit_code != 0
    assert "do not match" in result.output
    with Session(make_engine(instance)) as session:
        assert session.exec(select(User).where(User.username_key == "quelquun")).first() is None


def test_downgrade_to_base_removes_the_schema(instance: str) -> None:
    assert runner.invoke(cli, ["db", "upgrade"]).exit_code == 0
    assert runner.invoke(cli, ["db", "downgrade", "base", "--yes"]).exit_code == 0
    assert _tables(instance) == {"alembic_version"}
    assert runner.invoke(cli, ["db", "upgrade"]).exit_code == 0


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    with engine.connect() as conn:
        found = set(sa.inspect(conn).get_table_names())
    engine.dispose()
    return found


def _revision(url: str) -> str | None:
    engine = make_engine(url)
    with engine.connect() as conn:
        found = MigrationContext.configure(conn).get_current_revision()
    engine.dispose()
    return found


def test_downgrade_minus_one_steps_back_one_migration(instance: str) -> None:
    assert runner.invoke(cli, ["db", "upgrade"]).exit_code == 0
    head = _revision(instance)
    assert head is not None
    result = runner.invoke(cli, ["db", "downgrade", "-1"])
    assert result.exit_code == 0, result.output
    before_head = ScriptDirectory.from_config(alembic_config(instance)).get_revision(head)
    assert before_head is not None
    assert _revision(instance) == before_head.down_revision


def test_downgrade_to_base_asks_first_and_keeps_everything_on_no(instance: str) -> None:
    assert runner.invoke(cli, ["db", "upgrade"]).exit_code == 0
    refused = runner.invoke(cli, ["db", "downgrade", "base"], input="n\n")
    assert refused.exit_code != 0
    assert "Drop every table" in refused.output
    assert "app_user" in _tables(instance)
    accepted = runner.invoke(cli, ["db", "downgrade", "base"], input="y\n")
    assert accepted.exit_code == 0, accepted.output
    assert _tables(instance) == {"alembic_version"}
