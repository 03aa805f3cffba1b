from __future__ import annotations

import base64
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from sqlmodel import Session, select

from app.errors import BadRequest, Invalid, PermissionDenied
from app.models import CommentRevision, CommentStatus, Stance, utcnow
from app.models.schemas import CommentCreate, CommentUpdate
from app.services import comments, votes
from app.services.rendering import render_comment
from tests.factories import make_article, make_comment, make_user

XSS = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "[clic](javascript:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    "<svg onload=alert(1)>",
    '<iframe src="https://evil.example"></iframe>',
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    '"><script>alert(1)</script>',
    "<style>body{display:none}</style>",
    "[a](vbscript:msgbox(1))",
]


class _Inspector(HTMLParser):
    """Collects what a browser would act on: tags, event-handler attributes and link targets."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.handlers: list[str] = []
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        for name, value in attrs:
            if name.startswith("on"):
                self.handlers.append(name)
            if name in ("href", "src"):
                self.urls.append((value or "").strip().lower())


def assert_inert(html: str) -> None:
    found = _Inspector()
    found.feed(html)
    assert found.tags <= {"p", "br", "strong", "em", "a", "ul", "ol", "li", "blockquote", "code", "pre"}, html
    assert found.handlers == [], html
    assert all(url.startswith(("http://", "https://", "mailto:")) for url in found.urls), html


@pytest.mark.parametrize("payload", XSS)
def test_classic_xss_payloads_come_out_inert(payload: str) -> None:
    assert_inert(render_comment(payload))


def test_links_are_marked_nofollow_ugc_noopener() -> None:
    html = render_comment("[source](https://exemple.fr/a)")
    assert 'rel="nofollow ugc noopener"' in html
    assert 'href="https://exemple.fr/a"' in html


def test_markdown_subset_renders_emphasis_quotes_and_lists() -> None:
    html = render_comment("**gras** et *italique*\n\n> citation\n\n- un\n- deux")
    assert "<strong>gras</strong>" in html
    assert "<em>italique</em>" in html
    assert "<blockquote>" in html
    assert "<li>un</li>" in html


def test_a_top_level_reaction_requires_a_stance(session: Session) -> None:
    with pytest.raises(Invalid) as exc:
        comments.post_comment(
            session,
            author=make_user(session),
            article=make_article(session),
            data=CommentCreate(body="Sans position"),
        )
    assert "stance" in exc.value.fields


def test_a_reply_takes_no_stance(session: Session) -> None:
    parent = make_comment(session)
    with pytest.raises(Invalid) as exc:
        comments.post_comment(
            session,
            author=make_user(session),
            article=parent.article,
            data=CommentCreate(body="Réponse", stance=Stance.against, parent_id=parent.id),
        )
    assert "stance" in exc.value.fields


def test_a_reply_to_a_comment_of_another_article_is_refused(session: Session) -> None:
    parent = make_comment(session)
    other = make_article(session)
    with pytest.raises(Invalid, match="autre article"):
        comments.post_comment(
            session,
            author=make_user(session),
            article=other,
            data=CommentCreate(body="Réponse", parent_id=parent.id),
        )


def test_replies_nest_at_any_depth_and_count_on_their_parent(session: Session) -> None:
    top = make_comment(session)
    chain = [top]
    for _ in range(9):
        chain.append(make_comment(session, parent=chain[-1], body=f"niveau {len(chain)}"))
    assert [c.depth for c in chain] == list(range(10))
    assert all(c.root_id == top.id for c in chain[1:])
    session.refresh(top)
    assert top.reply_count == 1
    assert top.article.comment_count == 10
    assert top.article.top_level_count == 1


def test_permalink_branch_shows_the_ancestors_and_the_subtree(session: Session) -> None:
    top = make_comment(session, body="racine")
    reply = make_comment(session, parent=top, body="réponse")
    reply2 = make_comment(session, parent=reply, body="réponse à la réponse")
    reply3 = make_comment(session, parent=reply2, body="troisième niveau")
    found = comments.branch(session, comment=reply2, viewer=None)
    assert [n.comment.id for n in found.ancestors] == [top.id, reply.id]
    assert [n.comment.id for n in found.node.replies] == [reply3.id]


def test_edit_within_the_window_keeps_the_old_body_as_a_revision(session: Session) -> None:
    author = make_user(session)
    comment = make_comment(session, author=author, body="avant")
    comments.edit_comment(session, user=author, comment=comment, data=CommentUpdate(body="après"))
    assert comment.body_markdown == "après"
    assert comment.edited_at is not None
    revisions = session.exec(
        select(CommentRevision.body_markdown).where(CommentRevision.comment_id == comment.id)
    ).all()
    assert revisions == ["avant"]


def test_edit_after_15_minutes_is_refused(session: Session) -> None:
    author = make_user(session)
    comment = make_comment(session, author=author)
    with pytest.raises(PermissionDenied, match="15 minutes"):
        comments.edit_comment(
            session,
            user=author,
            comment=comment,
            data=CommentUpdate(body="trop tard"),
            now=utcnow() + timedelta(minutes=16),
        )


def test_nobody_edits_or_deletes_another_readers_comment(session: Session) -> None:
    comment = make_comment(session)
    intruder = make_user(session)
    with pytest.raises(PermissionDenied):
        comments.edit_comment(session, user=intruder, comment=comment, data=CommentUpdate(body="piraté"))
    with pytest.raises(PermissionDenied):
        comments.delete_comment(session, user=intruder, comment=comment)


def test_deleting_a_comment_with_replies_leaves_a_placeholder(session: Session) -> None:
    author = make_user(session)
    top = make_comment(session, author=author, body="sera supprimé")
    reply = make_comment(session, parent=top)
    assert comments.delete_comment(session, user=author, comment=top) is False
    assert top.status == CommentStatus.deleted
    assert top.body_html == ""
    found = comments.thread(session, article=top.article, viewer=None)
    assert found[0].comment.id == top.id
    assert found[0].replies[0].comment.id == reply.id
    session.refresh(top.article)
    assert top.article.comment_count == 1


def test_deleting_a_comment_without_replies_removes_it(session: Session) -> None:
    author = make_user(session)
    top = make_comment(session)
    reply = make_comment(session, parent=top, author=author)
    assert comments.delete_comment(session, user=author, comment=reply) is True
    session.refresh(top)
    assert top.reply_count == 0
    assert comments.thread(session, article=top.article, viewer=None)[0].replies == []


def test_pending_comment_is_seen_by_its_author_only(session: Session) -> None:
    article = make_article(session, premoderation=True)
    author = make_user(session)
    comment = make_comment(session, article=article, author=author)
    assert comment.status == CommentStatus.pending
    assert [n.id for n in comments.list_top_level(session, article=article, viewer=author).items] == [
        comment.id
    ]
    assert comments.list_top_level(session, article=article, viewer=make_user(session)).items == []
    assert comments.list_top_level(session, article=article, viewer=None).items == []
    with pytest.raises(comments.NotFound):
        comments.get_comment(session, comment_id=comment.id, viewer=None)  # type: ignore[arg-type]


def _vote(session: Session, comment_id: int, ups: int, downs: int) -> None:
    comment = comments.get_comment(session, comment_id=comment_id, viewer=None)
    for _ in range(ups):
        votes.set_vote(session, voter=make_user(session), comment_id=comment.id, value=1)
    for _ in range(downs):
        votes.set_vote(session, voter=make_user(session), comment_id=comment.id, value=-1)


def test_sort_orders(session: Session) -> None:
    article = make_article(session)
    a = make_comment(session, article=article, body="a")  # 1 up
    b = make_comment(session, article=article, body="b")  # 6 up
    c = make_comment(session, article=article, body="c")  # 3 up 3 down: the most disputed
    _vote(session, a.id, 1, 0)  # type: ignore[arg-type]
    _vote(session, b.id, 6, 0)  # type: ignore[arg-type]
    _vote(session, c.id, 3, 3)  # type: ignore[arg-type]

    def order(sort: comments.Sort) -> list[int | None]:
        return [
            n.comment.id
            for n in comments.list_top_level(session, article=article, viewer=None, sort=sort).items
        ]

    assert order(comments.Sort.best) == [b.id, a.id, c.id]  # 6-0 beats 1-0 beats 3-3
    assert order(comments.Sort.newest) == [c.id, b.id, a.id]
    assert order(comments.Sort.oldest) == [a.id, b.id, c.id]
    assert order(comments.Sort.controversial)[0] == c.id


@pytest.mark.parametrize("sort", list(comments.Sort))
def test_pages_hold_20_reactions_and_the_cursor_walks_them_all_once(
    session: Session, sort: comments.Sort
) -> None:
    article = make_article(session)
    author = make_user(session)
    ids = {make_comment(session, article=article, author=author, body=f"r{i}").id for i in range(45)}
    seen: list[int] = []
    cursor = None
    sizes = []
    while True:
        page = comments.list_top_level(session, article=article, viewer=None, sort=sort, cursor=cursor)
        sizes.append(len(page.items))
        seen += [n.id for n in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert sizes == [20, 20, 5]
    assert sorted(seen) == sorted(ids)


def test_a_tampered_cursor_is_a_bad_request(session: Session) -> None:
    article = make_article(session)
    with pytest.raises(BadRequest):
        comments.list_top_level(session, article=article, viewer=None, cursor="n'importe-quoi")


@pytest.mark.parametrize(
    ("sort", "key"),
    [
        ("newest", '["newest",1000000000000000000000000000000]'),  # beyond an id: the driver overflowed
        ("newest", '["newest",true]'),  # true is an int to Python, and no value for SQL to compare
        ("oldest", '["oldest",-1]'),
        ("best", '["best",0.5,2147483648]'),
        ("best", '["best",true,1]'),
        ("best", '["best",NaN,1]'),
        ("controversial", '["controversial",1e400,1]'),  # Infinity
        ("controversial", f'["controversial",{10**400},1]'),  # too large for a float
        ("best", '["best",0.5]'),
    ],
)
def test_a_forged_cursor_with_out_of_range_values_is_a_bad_request(
    session: Session, sort: str, key: str
) -> None:
    article = make_article(session)
    make_comment(session, article=article)
    cursor = base64.urlsafe_b64encode(key.encode()).decode().rstrip("=")
    with pytest.raises(BadRequest):
        comments.list_top_level(
            session, article=article, viewer=None, sort=comments.Sort(sort), cursor=cursor
        )


def test_a_page_shows_five_replies_per_comment_and_counts_the_rest(session: Session) -> None:
    top = make_comment(session)
    replies = [make_comment(session, parent=top, body=f"rép {i}") for i in range(8)]
    node = comments.list_top_level(session, article=top.article, viewer=None).items[0]
    assert [r.id for r in node.replies] == [r.id for r in replies[:5]]
    assert node.more_replies == 3


def test_unknown_sort_is_refused() -> None:
    with pytest.raises(Invalid):
        comments.parse_sort("random")
