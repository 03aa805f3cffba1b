"""The public transparency report (DSA Art. 15) for a month or a year: notices by category, how many
were acted on and the median time to act; decisions by kind and by ground, and the share taken with
automated help; appeals received, upheld, reversed and the median time to decide. Every figure is an
SQL aggregate over the moderation records (notices, statements of reasons, appeals), read through
their created_at indexes, so a year of a busy site stays fast (bench/transparency.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlmodel import Session

from app.errors import NotFound
from app.i18n import _
from app.models import Appeal, Notice, Statement, utcnow

NOTICE = Notice.__table__  # type: ignore[attr-defined]
STATEMENT = Statement.__table__  # type: ignore[attr-defined]
APPEAL = Appeal.__table__  # type: ignore[attr-defined]
_PERIOD = re.compile(r"^(\d{4})(?:-(\d{2}))?$")
MAX_GROUNDS = 20


@dataclass(frozen=True)
class Period:
    key: str  # "2026-11" or "2026"
    start: datetime
    end: datetime

    @property
    def is_year(self) -> bool:
        return len(self.key) == 4


def parse_period(value: str | None, now: datetime | None = None) -> Period:
    """A month ("2026-11") or a year ("2026"); the current month when none is given."""
    now = now or utcnow()
    if not value:
        value = f"{now.year:04d}-{now.month:02d}"
    found = _PERIOD.match(value.strip())
    year, month = (int(found.group(1)), found.group(2)) if found else (0, None)
    if found is None or not 2000 <= year <= 2100 or (month is not None and not 1 <= int(month) <= 12):
        raise NotFound(_("Période invalide : AAAA-MM pour un mois, AAAA pour une année."))
    if month is None:
        return Period(f"{year:04d}", datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC))
    m = int(month)
    start = datetime(year, m, 1, tzinfo=UTC)
    end = datetime(year + (m == 12), m % 12 + 1, 1, tzinfo=UTC)
    return Period(f"{year:04d}-{m:02d}", start, end)


@dataclass
class Report:
    period: Period
    notices_by_category: dict[str, int] = field(default_factory=dict)
    notices_acted: int = 0
    notices_dismissed: int = 0
    notice_median_hours: float | None = None
    decisions_by_kind: dict[str, int] = field(default_factory=dict)
    decisions_by_ground: list[tuple[str, int]] = field(default_factory=list)
    decisions_automated: int = 0
    appeals_received: int = 0
    appeals_upheld: int = 0
    appeals_reversed: int = 0
    appeal_median_hours: float | None = None

    @property
    def notices_total(self) -> int:
        return sum(self.notices_by_category.values())

    @property
    def decisions_total(self) -> int:
        return sum(self.decisions_by_kind.values())

    @property
    def automated_share(self) -> float | None:
        return self.decisions_automated / self.decisions_total if self.decisions_total else None


def _seconds(
    session: Session, later: sa.ColumnElement[datetime], earlier: sa.ColumnElement[datetime]
) -> sa.ColumnElement[float]:
    if session.get_bind().dialect.name == "postgresql":
        return sa.extract("epoch", later - earlier)
    return (sa.func.julianday(later) - sa.func.julianday(earlier)) * 86400.0


def _median_hours(
    session: Session, duration: sa.ColumnElement[float], where: sa.ColumnElement[bool], table: sa.Table
) -> float | None:
    """The median of a duration, in SQL: percentile_cont on PostgreSQL, the middle rows of a window
    elsewhere (SQLite has no percentile)."""
    if session.get_bind().dialect.name == "postgresql":
        value = session.execute(
            sa.select(sa.func.percentile_cont(0.5).within_group(duration)).select_from(table).where(where)
        ).scalar()
        return None if value is None else round(float(value) / 3600, 4)
    ranked = (
        sa.select(
            duration.label("d"),
            sa.func.row_number().over(order_by=duration).label("rn"),
            sa.func.count().over().label("n"),
        )
        .select_from(table)
        .where(where)
        .subquery()
    )
    value = session.execute(
        sa.select(sa.func.avg(ranked.c.d)).where(
            ranked.c.rn.in_(
                [sa.cast((ranked.c.n + 1) / 2, sa.Integer), sa.cast((ranked.c.n + 2) / 2, sa.Integer)]
            )
        )
    ).scalar()
    return None if value is None else round(float(value) / 3600, 4)


def build(session: Session, *, period: Period) -> Report:
    """Five aggregate queries, each an index-only scan of the period (ix_*_created cover them)."""
    report = Report(period=period)
    in_notice = sa.and_(NOTICE.c.created_at >= period.start, NOTICE.c.created_at < period.end)
    for category, outcome, count in session.execute(
        sa.select(NOTICE.c.category, NOTICE.c.outcome, sa.func.count())
        .where(in_notice)
        .group_by(NOTICE.c.category, NOTICE.c.outcome)
    ):
        key = _code(category)
        report.notices_by_category[key] = report.notices_by_category.get(key, 0) + int(count)
        if _code(outcome) == "acted":
            report.notices_acted += int(count)
        elif _code(outcome) == "dismissed":
            report.notices_dismissed += int(count)
    report.notice_median_hours = _median_hours(
        session,
        _seconds(session, NOTICE.c.decided_at, NOTICE.c.created_at),
        sa.and_(in_notice, NOTICE.c.outcome == "acted"),
        NOTICE,
    )

    in_statement = sa.and_(STATEMENT.c.created_at >= period.start, STATEMENT.c.created_at < period.end)
    grounds: dict[str, int] = {}
    for kind, automation, rule, version, law, count in session.execute(
        sa.select(
            STATEMENT.c.restriction,
            STATEMENT.c.automation,
            STATEMENT.c.ground_rule,
            STATEMENT.c.terms_version,
            STATEMENT.c.ground_law,
            sa.func.count(),
        )
        .where(in_statement)
        .group_by(
            STATEMENT.c.restriction,
            STATEMENT.c.automation,
            STATEMENT.c.ground_rule,
            STATEMENT.c.terms_version,
            STATEMENT.c.ground_law,
        )
    ):
        n = int(count)
        report.decisions_by_kind[_code(kind)] = report.decisions_by_kind.get(_code(kind), 0) + n
        if _code(automation) != "none":
            report.decisions_automated += n
        ground = f"law:{law}" if law else f"rule:{rule}:v{version}"
        grounds[ground] = grounds.get(ground, 0) + n
    report.decisions_by_ground = sorted(grounds.items(), key=lambda item: (-item[1], item[0]))[:MAX_GROUNDS]

    in_appeal = sa.and_(APPEAL.c.created_at >= period.start, APPEAL.c.created_at < period.end)
    received, upheld, reversed_ = session.execute(
        sa.select(
            sa.func.count(),
            sa.func.sum(sa.case((APPEAL.c.outcome == "upheld", 1), else_=0)),
            sa.func.sum(sa.case((APPEAL.c.outcome == "reversed", 1), else_=0)),
        ).where(in_appeal)
    ).one()
    report.appeals_received, report.appeals_upheld, report.appeals_reversed = (
        int(received or 0),
        int(upheld or 0),
        int(reversed_ or 0),
    )
    report.appeal_median_hours = _median_hours(
        session,
        _seconds(session, APPEAL.c.decided_at, APPEAL.c.created_at),
        sa.and_(in_appeal, APPEAL.c.decided_at.is_not(None)),
        APPEAL,
    )
    return report


def _code(value: object) -> str:
    return str(getattr(value, "value", value))


def rows(report: Report) -> list[tuple[str, str, str]]:
    """The report as (section, item, value) rows: the CSV, and the table's source."""
    out: list[tuple[str, str, str]] = [("period", "key", report.period.key)]
    out += [("notices_by_category", k, str(v)) for k, v in sorted(report.notices_by_category.items())]
    out += [
        ("notices", "received", str(report.notices_total)),
        ("notices", "acted", str(report.notices_acted)),
        ("notices", "dismissed", str(report.notices_dismissed)),
        ("notices", "median_hours_to_act", _num(report.notice_median_hours)),
    ]
    out += [("decisions_by_kind", k, str(v)) for k, v in sorted(report.decisions_by_kind.items())]
    out += [("decisions_by_ground", k, str(v)) for k, v in report.decisions_by_ground]
    out += [
        ("decisions", "total", str(report.decisions_total)),
        ("decisions", "automated", str(report.decisions_automated)),
        ("appeals", "received", str(report.appeals_received)),
        ("appeals", "upheld", str(report.appeals_upheld)),
        ("appeals", "reversed", str(report.appeals_reversed)),
        ("appeals", "median_hours_to_decide", _num(report.appeal_median_hours)),
    ]
    return out


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"
