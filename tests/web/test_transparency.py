"""The transparency report (DSA Art. 15): a month with known figures, checked against the rows it
aggregates; the year; the SVG chart drawn by the server; the CSV; bad periods."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.models import Appeal, Automation, Notice, NoticeCategory, NoticeOutcome, Reason, Role, Statement
from app.services import moderation
from app.services.moderation import appeals
from app.services.rules import Rules
from app.services.transparency import build, parse_period
from tests.factories import make_comment, make_user

NOV = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)


def _notice(
    session: Session, comment_id: int | None, category: NoticeCategory, at: datetime, **extra: object
) -> Notice:
    notice = Notice(
        reference=f"N-T{at.timestamp():.0f}{category.value[:3]}{extra.get('n', '')}",
        comment_id=comment_id,
        url=f"/comments/{comment_id}",
        category=category,
        explanation="Un contenu qui me semble illicite.",
        good_faith=True,
        created_at=at,
    )
    if extra.get("acted_after") is not None:
        notice.decided_at = at + extra["acted_after"]  # type: ignore[operator]
        notice.outcome = NoticeOutcome.acted
    if extra.get("dismissed"):
        notice.decided_at = at + timedelta(hours=1)
        notice.outcome = NoticeOutcome.dismissed
    session.add(notice)
    session.flush()
    return notice


def _month(session: Session) -> None:
    """November 2026: 4 notices (2 acted after 2 h and 6 h, 1 dismissed), 3 decisions (one automated),
    2 appeals (one reversed after 10 h, one waiting); and October rows that must not count."""
    moderator = make_user(session, role=Role.moderator)
    other = make_user(session, role=Role.moderator)
    c = [make_comment(session) for _ in range(4)]
    _notice(session, c[0].id, NoticeCategory.hate, NOV, acted_after=timedelta(hours=2), n=1)
    _notice(session, c[1].id, NoticeCategory.hate, NOV, acted_after=timedelta(hours=6), n=2)
    _notice(session, c[2].id, NoticeCategory.defamation, NOV, dismissed=True, n=3)
    _notice(session, c[3].id, NoticeCategory.privacy, NOV, n=4)
    _notice(session, c[3].id, NoticeCategory.privacy, NOV - timedelta(days=30), n=5)  # October
    removed = moderation.reject(session, moderator=moderator, comment=c[0], reason=Reason.hate)
    law = moderation.reject(
        session, moderator=moderator, comment=c[1], reason=Reason.illegal, ground="law:LCEN art. 6"
    )
    for _ in range(2):
        moderation.report(
            session,
            reporter=make_user(session),
            comment=c[2],
            reason=Reason.spam,
            rules=Rules(report_threshold=2),
        )
    hidden = session.exec(select(Statement).where(Statement.comment_id == c[2].id)).one()
    old = moderation.reject(session, moderator=moderator, comment=c[3], reason=Reason.spam)
    for statement, at in ((removed, NOV), (law, NOV), (hidden, NOV), (old, NOV - timedelta(days=30))):
        statement.created_at = at
    first = appeals.file_appeal(
        session, statement=removed, appellant=None, explanation="Je conteste ceci.", now=NOV
    )
    appeals.file_appeal(session, statement=law, appellant=None, explanation="Je conteste cela.", now=NOV)
    appeals.decide_appeal(
        session,
        moderator=other,
        appeal=first,
        outcome="reversed",
        reasons="Erreur.",
        now=NOV + timedelta(hours=10),
    )
    session.flush()


def _figures(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-figure="([a-z-]+)">([^<]*)<', html))


def test_a_month_report_matches_its_rows(client: TestClient, session: Session) -> None:
    _month(session)
    report = build(session, period=parse_period("2026-11"))
    start, end = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)
    notices = [n for n in session.exec(select(Notice)).all() if start <= n.created_at < end]
    statements = [s for s in session.exec(select(Statement)).all() if start <= s.created_at < end]
    filed = [a for a in session.exec(select(Appeal)).all() if start <= a.created_at < end]
    assert report.notices_total == len(notices) == 4
    assert report.notices_by_category == {"hate": 2, "defamation": 1, "privacy": 1}
    assert report.notices_acted == sum(n.outcome is NoticeOutcome.acted for n in notices) == 2
    assert report.notice_median_hours == 4.0
    assert report.decisions_total == len(statements) == 3
    assert report.decisions_by_kind == {"removed": 2, "hidden": 1}
    assert report.decisions_automated == sum(s.automation is not Automation.none for s in statements) == 1
    assert ("law:LCEN art. 6", 1) in report.decisions_by_ground
    assert report.appeals_received == len(filed) == 2
    assert (report.appeals_upheld, report.appeals_reversed) == (0, 1)
    assert report.appeal_median_hours == 10.0

    page = client.get("/transparence?period=2026-11")
    assert page.status_code == 200
    figures = _figures(page.text)
    assert figures["notices-received"] == "4"
    assert figures["notices-acted"] == "2"
    assert figures["notices-dismissed"] == "1"
    assert figures["decisions-total"] == "3"
    assert figures["decisions-automated"] == "1"
    assert figures["appeals-received"] == "2"
    assert figures["appeals-reversed"] == "1"
    assert "<svg" in page.text
    assert page.text.count("<rect") == len(NoticeCategory) + 4  # one bar per category and per kind
    assert "<script" not in page.text.split("<main")[-1].split("</main>")[0]


def test_the_year_adds_up_the_months(client: TestClient, session: Session) -> None:
    _month(session)
    year = build(session, period=parse_period("2026"))
    assert year.notices_total == 5
    assert year.decisions_total == 4


def test_the_csv_carries_the_same_figures(client: TestClient, session: Session) -> None:
    _month(session)
    response = client.get("/transparence.csv?period=2026-11")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = {(r["section"], r["item"]): r["value"] for r in csv.DictReader(io.StringIO(response.text))}
    assert rows[("notices", "received")] == "4"
    assert rows[("notices", "median_hours_to_act")] == "4.00"
    assert rows[("decisions_by_kind", "removed")] == "2"
    assert rows[("appeals", "reversed")] == "1"


def test_an_empty_period_shows_zeros_and_a_bad_one_is_a_404(client: TestClient) -> None:
    page = client.get("/transparence?period=2001-01")
    assert page.status_code == 200
    assert _figures(page.text)["decisions-total"] == "0"
    assert client.get("/transparence?period=2026-13").status_code == 404
    assert client.get("/transparence?period=demain").status_code == 404
    assert 'href="/transparence"' in client.get("/").text


def test_the_api_gives_the_same_figures(client: TestClient, session: Session) -> None:
    _month(session)
    data = client.get("/api/v1/transparency?period=2026-11").json()
    assert data["notices"]["received"] == 4
    assert data["notices"]["median_hours_to_act"] == 4.0
    assert data["decisions"]["by_kind"] == {"removed": 2, "hidden": 1}
    assert data["appeals"]["reversed"] == 1
    assert client.get("/api/v1/transparency?period=1999").status_code == 404
