from __future__ import annotations

import feedparser
import pytest
from sqlmodel import Session

from app.models import CommentStatus, Role, Stance
from app.services import moderation
from tests.conftest import ClientFor
from tests.factories import make_article, make_comment, make_user, page_csrf


@pytest.mark.parametrize("path", ["/editor", "/editor/articles/new", "/admin/users"])
def test_desk_pages_are_for_staff_only(client_for: ClientFor, session: Session, path: str) -> None:
    assert client_for(None).get(path).status_code == 303
    assert client_for(make_user(session)).get(path).status_code == 403
    assert client_for(make_user(session, role=Role.moderator)).get(path).status_code == 403
    staff = Role.admin if path.startswith("/admin") else Role.editor
    assert client_for(make_user(session, role=staff)).get(path).status_code == 200


def test_atom_feeds_are_valid_and_hold_only_published_comments(
    client_for: ClientFor, session: Session
) -> None:
    article = make_article(session, slug="flux")
    shown = make_comment(session, article=article, body="Visible <b>&</b> publié")
    held = make_comment(
        session, article=article, author=make_user(session, approved_count=0), body="En attente"
    )
    rejected = make_comment(session, article=article, body="Refusé")
    moderation.reject(
        session,
        moderator=make_user(session, role=Role.moderator),
        comment=rejected,
        reason=moderation.Reason.spam,
    )
    deleted = make_comment(session, article=article, body="Effacé")
    deleted.status = CommentStatus.deleted
    session.flush()
    from app.services import editorial

    editorial.feature(session, editor=make_user(session, role=Role.editor), comment=shown, note="Bien vu")
    anonymous = client_for(None)
    latest = anonymous.get("/articles/flux/comments.atom")
    assert latest.headers["content-type"].startswith("application/atom+xml")
    parsed = feedparser.parse(latest.content)
    assert parsed.bozo == 0, parsed.bozo_exception
    assert parsed.version == "atom10"
    bodies = " ".join(e.content[0].value for e in parsed.entries)
    assert "Visible" in bodies
    assert held.body_markdown not in bodies
    assert "Refusé" not in bodies
    assert "Effacé" not in bodies
    featured = feedparser.parse(anonymous.get("/articles/flux/featured.atom").content)
    assert featured.bozo == 0
    assert [e.summary for e in featured.entries] == ["Bien vu"]


def test_end_to_end_an_editor_runs_a_debate(client_for: ClientFor, session: Session) -> None:
    editor_user = make_user(session, role=Role.editor, username="redac")
    editor = client_for(editor_user)
    token = page_csrf(editor, "/editor/articles/new")
    created = editor.post(
        "/editor/articles",
        data={
            "slug": "faut-il-trancher",
            "title": "Faut-il trancher ?",
            "lede": "Un chapeau.",
            "question": "Tranche-t-on ?",
            "label_for": "Oui, tranchons",
            "label_against": "Non, attendons",
            "label_nuanced": "Selon les cas",
            "body": "Le **corps** de l’article.",
            "published": "on",
            "csrf_token": token,
            "intent": "save",
        },
    )
    assert created.status_code == 303

    # Readers debate it.
    reactions = {}
    for name, stance in (("lecteur_a", "for"), ("lecteur_b", "against"), ("lecteur_c", "for")):
        reader = client_for(make_user(session, username=name))
        rtoken = page_csrf(reader, "/articles/faut-il-trancher")
        posted = reader.post(
            "/articles/faut-il-trancher/comments",
            data={"body": f"Avis de {name}", "stance": stance, "csrf_token": rtoken},
        )
        reactions[name] = int(posted.headers["location"].split("comment-")[1])

    # The editor features two responses in a chosen order, then closes the debate.
    for comment_id, rank in ((reactions["lecteur_b"], "1"), (reactions["lecteur_a"], "2")):
        assert (
            editor.post(
                f"/comments/{comment_id}/feature",
                data={"note": f"note {rank}", "rank": rank, "csrf_token": token},
            ).status_code
            == 303
        )
    assert (
        editor.post(
            "/editor/articles/faut-il-trancher/settings",
            data={"setting": "open", "value": "off", "confirm": "yes", "csrf_token": token},
        ).status_code
        == 303
    )

    page = client_for(None).get("/articles/faut-il-trancher").text
    featured_block = page[page.index('id="featured"') : page.index('id="debate"')]
    assert featured_block.index("Avis de lecteur_b") < featured_block.index("Avis de lecteur_a")
    assert "Choix de la rédaction" in featured_block
    assert "note 1" in featured_block
    assert "Débat clos depuis le" in page

    debate = client_for(None).get("/articles/faut-il-trancher/debate").text
    assert debate.count('class="side-item side-for"') == 2
    assert debate.count('class="side-item side-against"') == 1
    assert "Oui, tranchons" in debate
    assert "Non, attendons" in debate

    late = client_for(make_user(session))
    ltoken = page_csrf(late, "/articles/faut-il-trancher")
    refused = late.post(
        "/articles/faut-il-trancher/comments",
        data={"body": "Trop tard", "stance": "for", "csrf_token": ltoken},
    )
    assert refused.status_code == 403
    assert "clos" in refused.text
    api = late.post(
        "/api/v1/articles/faut-il-trancher/comments",
        json={"body": "x", "stance": "for"},
        headers={"X-CSRF-Token": ltoken},
    )
    assert api.status_code == 403

    # Roles are ordered (reader < moderator < editor < admin): the editor reads the log of their actions.
    log = editor.get("/moderation/log?action=article_close")
    assert log.status_code == 200
    assert "Faut-il trancher ?" in log.text


def test_editor_preview_renders_markdown_in_place(client_for: ClientFor, session: Session) -> None:
    editor = client_for(make_user(session, role=Role.editor))
    token = page_csrf(editor, "/editor/articles/new")
    response = editor.post(
        "/editor/preview",
        data={"body": "## Titre\n\n*italique*"},
        headers={"HX-Request": "true", "X-CSRF-Token": token},
    )
    assert response.status_code == 200
    assert "<h2>Titre</h2>" in response.text
    assert "<html" not in response.text


def test_editor_imports_a_markdown_file(client_for: ClientFor, session: Session) -> None:
    editor = client_for(make_user(session, role=Role.editor))
    token = page_csrf(editor, "/editor")
    text = "---\nslug: importe\ntitle: Importé\nquestion: Alors ?\n---\nCorps importé."
    response = editor.post(
        "/editor/import", data={"csrf_token": token}, files={"file": ("a.md", text.encode(), "text/markdown")}
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/editor/articles/importe"
    assert "Corps importé" in client_for(None).get("/articles/importe").text


def test_admin_changes_a_role_from_the_users_page(client_for: ClientFor, session: Session) -> None:
    reader = make_user(session, username="promue")
    admin = client_for(make_user(session, role=Role.admin))
    token = page_csrf(admin, "/admin/users")
    assert (
        admin.post("/admin/users/promue/role", data={"role": "moderator", "csrf_token": token}).status_code
        == 303
    )
    session.refresh(reader)
    assert reader.role == Role.moderator


def test_editor_api_features_creates_and_patches(client_for: ClientFor, session: Session) -> None:
    editor_user = make_user(session, role=Role.editor)
    editor = client_for(None)
    token = editor.post(
        "/api/v1/auth/login", json={"username": editor_user.username, "password": "correct horse battery"}
    ).json()["csrf_token"]
    editor.headers["X-CSRF-Token"] = token
    created = editor.post(
        "/api/v1/articles",
        json={
            "slug": "par-api",
            "title": "Par l’API",
            "body": "Texte",
            "question": "Q ?",
            "published": True,
            "stances": {"for": "Pour", "against": "Contre"},
        },
    )
    assert created.status_code == 201
    assert created.json()["stances"]["for"] == "Pour"
    patched = editor.patch("/api/v1/articles/par-api", json={"comments_open": False})
    assert patched.status_code == 200
    assert patched.json()["comments_open"] is False
    comment = make_comment(session, stance=Stance.against)
    featured = editor.put(f"/api/v1/comments/{comment.id}/feature", json={"note": "À lire", "rank": 1})
    assert featured.status_code == 200
    assert featured.json()["featured"]["note"] == "À lire"
    listing = client_for(None).get(f"/api/v1/articles/{comment.article.slug}/featured").json()["items"]
    assert [c["id"] for c in listing] == [comment.id]
    assert editor.delete(f"/api/v1/comments/{comment.id}/feature").status_code == 204
    reader = client_for(None)
    assert reader.put(f"/api/v1/comments/{comment.id}/feature", json={}).status_code == 401
