"""Did the debate change minds (issue 20): how many readers now answer the poll otherwise than they
first did, the flows between first and current answers, and when the changes happened: one aggregate over the
answers that changed (ix_stance_vote_flow holds every column it reads) and the daily history the poll
already keeps.

No one may be singled out: a flow of fewer than K readers is shown only as "fewer than K", and where
a line of the table (a first or a current answer, whose totals the poll's tally gives away) would then
hold a single masked flow, the next smallest flow of that line is masked too, so no subtraction finds
it. Counts over time are shown rounded down to a multiple of K, so no day's few changes can be read
from the difference of two days."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from babel.dates import format_date
from babel.numbers import format_decimal, format_percent
from sqlmodel import Session

from app.dates import babel_locale, today
from app.i18n import _, in_language, ngettext
from app.models import Article, Stance, StanceDaily, StanceVote

K = 5
VOTE = StanceVote.__table__  # type: ignore[attr-defined]
DAILY = StanceDaily.__table__  # type: ignore[attr-defined]
ORDER = list(Stance)


@dataclass
class Flow:
    first: Stance
    current: Stance
    count: int
    masked: str | None = None  # "small" (fewer than K) or "secondary" (masked so no sum reveals one)

    @property
    def shown(self) -> int | None:
        return None if self.masked else self.count


@dataclass
class Band:
    """A flow drawn in the chart: its path and where its label goes."""

    flow: Flow
    path: str


@dataclass
class Minds:
    readers: int
    changed: int
    flows: list[Flow]
    days: list[tuple[date, int]]  # (day, readers changed by then, rounded down to a multiple of K)
    bands: list[Band] = field(default_factory=list)
    nodes: list[dict[str, Any]] = field(default_factory=list)
    line: list[tuple[float, float]] = field(default_factory=list)
    width: int = 560
    height: int = 220

    @property
    def share(self) -> float:
        return self.changed / self.readers if self.readers else 0.0

    def flow(self, first: Stance | str, current: Stance | str) -> Flow:
        return next(f for f in self.flows if f.first == first and f.current == current)


def _mask(flows: list[Flow]) -> None:
    """Mask the flows of 1 to K-1 readers, then, in any line left with a single masked flow, the
    smallest other one (a flow of readers rather than an empty one, which would hide nothing), until
    no line has a single masked flow. An empty flow singles out no one and is shown as 0.

    A line is a set of flows whose total a reader can know: those of one first answer, those of one
    current answer (the tally), and the changes together and the kept answers together, since the
    pages give the share of readers who changed and the number who answered: with one change flow
    masked, that share would give its count away."""
    for f in flows:
        if 0 < f.count < K:
            f.masked = "small"
    lines = [[f for f in flows if f.first == s] for s in ORDER]
    lines += [[f for f in flows if f.current == s] for s in ORDER]
    lines += [[f for f in flows if f.first != f.current], [f for f in flows if f.first == f.current]]
    changed = True
    while changed:
        changed = False
        for line in lines:
            masked = [f for f in line if f.masked]
            open_ = [f for f in line if not f.masked]
            if len(masked) == 1 and open_:
                min(open_, key=lambda f: (f.count == 0, f.count)).masked = "secondary"
                changed = True


def changed_minds(session: Session, *, article: Article, days: int = 30) -> Minds:
    """Two statements: the readers who changed, by first and current answer (a range of
    ix_stance_vote_flow: those who never changed have no first_stance), and the daily history. The
    readers who kept their answer are the article's tally less those who came to it."""
    changed_rows = session.execute(
        sa.select(VOTE.c.first_stance, VOTE.c.stance, sa.func.count())
        .where(VOTE.c.article_id == article.id, VOTE.c.first_stance.is_not(None), VOTE.c.stance.is_not(None))
        .group_by(VOTE.c.first_stance, VOTE.c.stance)
    ).all()
    counts = {(a, b): 0 for a in ORDER for b in ORDER}
    came = dict.fromkeys(ORDER, 0)
    for a, b, n in changed_rows:
        counts[Stance(a), Stance(b)] += int(n)
        came[Stance(b)] += int(n)
    for s in ORDER:
        counts[s, s] += article.tally[s.value] - came[s]
    flows = [Flow(a, b, counts[a, b]) for a in ORDER for b in ORDER]
    _mask(flows)
    since = today() - timedelta(days=days - 1)
    series = [
        (day, n - n % K)
        for day, n in session.execute(
            sa.select(DAILY.c.day, DAILY.c.changed_count)
            .where(DAILY.c.article_id == article.id, DAILY.c.day >= since)
            .order_by(DAILY.c.day)
        ).all()
    ]
    minds = Minds(
        readers=sum(counts.values()),
        changed=sum(n for (a, b), n in counts.items() if a != b),
        flows=flows,
        days=series,
    )
    _draw(minds)
    return minds


def _draw(minds: Minds) -> None:
    """The flows as bands from first answers (left) to current ones (right), and changes over time.
    A masked flow is drawn with a fixed thin band, so its width tells nothing."""
    top, bottom, gap = 10.0, minds.height - 10.0, 12.0
    thin = 6.0  # a masked flow's band, whatever its size
    masked = sum(1 for f in minds.flows if f.masked)
    total = sum(f.count for f in minds.flows if not f.masked)
    usable = bottom - top - 2 * gap - thin * masked
    scale = usable / total if total else 0.0
    widths: dict[int, float] = {}
    for f in minds.flows:
        widths[id(f)] = thin if f.masked else (max(f.count * scale, 1.0) if f.count else 0.0)
    left_x, right_x = 150.0, minds.width - 150.0
    left_y, right_y = top, top
    left_at: dict[int, float] = {}
    right_at: dict[int, float] = {}
    for s in ORDER:
        start = left_y
        for f in (f for f in minds.flows if f.first == s):
            left_at[id(f)] = left_y
            left_y += widths[id(f)]
        minds.nodes.append(
            {"side": "first", "stance": s.value, "x": left_x - 8, "y": start, "h": left_y - start}
        )
        left_y += gap
    for s in ORDER:
        start = right_y
        for f in (f for f in minds.flows if f.current == s):
            right_at[id(f)] = right_y
            right_y += widths[id(f)]
        minds.nodes.append(
            {"side": "current", "stance": s.value, "x": right_x, "y": start, "h": right_y - start}
        )
        right_y += gap
    # As tall as the bands need: few readers, or only masked flows, draw a short chart.
    minds.height = int(max(left_y, right_y) - gap + top)
    mid = (left_x + right_x) / 2
    for f in minds.flows:
        w = widths[id(f)]
        if w <= 0:
            continue
        y0, y1 = left_at[id(f)], right_at[id(f)]
        path = (
            f"M{left_x:.1f},{y0:.1f} C{mid:.1f},{y0:.1f} {mid:.1f},{y1:.1f} {right_x:.1f},{y1:.1f} "
            f"L{right_x:.1f},{y1 + w:.1f} C{mid:.1f},{y1 + w:.1f} {mid:.1f},{y0 + w:.1f} "
            f"{left_x:.1f},{y0 + w:.1f} Z"
        )
        minds.bands.append(Band(flow=f, path=path))
    if minds.days:
        peak = max(n for _d, n in minds.days) or 1
        span = max(len(minds.days) - 1, 1)
        minds.line = [
            (20 + i * (minds.width - 40) / span, 90 - n * 70 / peak) for i, (_d, n) in enumerate(minds.days)
        ]


def citation(session: Session, *, article: Article, on: date | None = None) -> str:
    """The figures as a Markdown passage the editors' synthesis can cite, in the article's language
    and dated: the share of readers who changed their answer, then each flow between two different
    answers as the debate view shows it (a masked flow in words, never its count). Empty flows are
    left out; masked ones come last, in a fixed order, so the list's order tells nothing of their
    size. Empty when no one has answered."""
    found = changed_minds(session, article=article)
    if not found.readers:
        return ""
    with in_language(article.language) as lang:
        locale = babel_locale(lang)
        day = format_date(on or today(), "d MMMM y", locale=locale)
        readers = format_decimal(found.readers, locale=locale)
        share = format_percent(round(found.share * 100) / 100, locale=locale)
        summary = ngettext(
            "Au %(date)s, %(share)s des lecteurs ayant répondu à la question "
            "(%(readers)s réponse) ont changé de réponse au fil du débat.",
            "Au %(date)s, %(share)s des lecteurs ayant répondu à la question "
            "(%(readers)s réponses) ont changé de réponse au fil du débat.",
            found.readers,
        ) % {"date": day, "share": share, "readers": readers}
        lines = ["**" + _("Le débat a-t-il fait changer d’avis ?") + "**", "", summary]
        moves = [f for f in found.flows if f.first != f.current and (f.count or f.masked)]
        moves.sort(key=lambda f: (f.masked is not None, -f.count if not f.masked else 0))
        if moves:
            lines += ["", _("Entre la première réponse et l’actuelle :"), ""]
        for f in moves:
            if f.masked == "small":
                count = _("moins de 5")
            elif f.masked:
                count = _("masqué")
            else:
                count = ngettext("%(n)s lecteur", "%(n)s lecteurs", f.count) % {
                    "n": format_decimal(f.count, locale=locale)
                }
            lines.append(
                "- "
                + _("de « %(first)s » à « %(current)s » : %(count)s")
                % {"first": article.label(f.first), "current": article.label(f.current), "count": count}
            )
        if any(f.masked for f in moves):
            lines += [
                "",
                _(
                    "Pour que personne ne puisse être reconnu, les flux de moins de 5 lecteurs ne sont pas "
                    "chiffrés."
                ),
            ]
    return "\n".join(lines)
