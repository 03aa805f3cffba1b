"""One rendering of a debate page for every reader, each reader's own state put into it.

A debate page is the same for every reader but for a few places: the account menu, the poll (their
answer), the composer (signed in or not), each comment's controls (their vote, whether it is theirs,
whether they may still edit it) and the CSRF token. Templates draw those places with `part(name,
...)`. Rendered for one reader (`templating.render`), a part is drawn at once. Rendered to be shared
(`build`), it leaves a mark and what it needs: the render cache (services/cache.py) keeps the result
per version of the debate, and `for_reader` puts each reader's parts in, from one indexed query
(services.reader.marks), each variant of a part rendered once per entry and kept with it.

What the shared rendering cannot show goes to the full rendering: the staff's pages (every control,
every comment) and a reader's own comment that others do not see (pending, hidden, rejected).
"""

from __future__ import annotations

import secrets
from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from jinja2 import Environment, pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from app.models import Role, Stance, UserStatus, utcnow
from app.services import reader as reader_service
from app.services.accounts import Identity, write_refusal
from app.services.reader import Marks
from app.services.rules import DEFAULT_RULES, Rules

# Stands for the reader's CSRF token in a shared rendering, and marks where a part goes: random per
# process, so that no text a reader writes can take their place.
TOKEN = secrets.token_urlsafe(24)
_MARK = "\x00" + secrets.token_hex(8) + ":"


@dataclass
class Reader:
    """The reader a shared rendering is completed for."""

    viewer: Identity | None
    marks: Marks
    unread: int = 0
    rules: Rules = DEFAULT_RULES
    now: datetime = field(default_factory=utcnow)
    # What they may do with a comment that is not theirs depends only on their vote on it and on
    # the debate: asked once per vote value and page, not once per comment.
    others: dict[tuple[int, bool, bool], reader_service.Actions] = field(default_factory=dict)


@dataclass
class Place:
    """A part's place in a shared rendering: its name, what it needs, and its variants once rendered
    (split on TOKEN), keyed by what distinguishes readers there."""

    name: str
    data: dict[str, Any]
    variants: dict[Hashable, tuple[bytes, ...]] = field(default_factory=dict)


@dataclass
class Shared:
    """A rendering with its places: literals[i] comes before places[i], the last literal after all."""

    literals: list[tuple[bytes, ...]]
    places: list[Place]
    size: int
    env: Environment

    @property
    def comment_ids(self) -> list[int]:
        """The comments whose controls it shows (the reader's votes on them are read)."""
        return [place.data["id"] for place in self.places if place.name == "actions"]


class _Recorder:
    def __init__(self) -> None:
        self.places: list[Place] = []

    def mark(self, place: Place) -> Markup:
        self.places.append(place)
        return Markup(f"{_MARK}{len(self.places) - 1}\x00")


def _split(text: str) -> tuple[bytes, ...]:
    return tuple(piece.encode() for piece in text.split(TOKEN))


def build(env: Environment, name: str, context: dict[str, Any]) -> Shared:
    """Render template `name` to be shared: for nobody in particular (an anonymous reader's list of
    comments), with TOKEN for the token and a mark for each part."""
    recorder = _Recorder()
    html = env.get_template(name).render(
        {**context, "viewer": None, "unread": 0, "csrf_token": TOKEN, "shared": recorder}
    )
    pieces = html.split(_MARK)
    literals = [_split(pieces[0])]
    for piece in pieces[1:]:
        _index, _nul, rest = piece.partition("\x00")
        literals.append(_split(rest))
    return Shared(literals, recorder.places, len(html), env)


def for_reader(shared: Shared, reader: Reader, token: str) -> bytes:
    """The shared rendering completed for this reader, with their token."""
    joiner = token.encode()
    out: list[bytes] = []
    for literal, place in zip(shared.literals, shared.places, strict=False):
        out.append(joiner.join(literal))
        out.append(joiner.join(PARTS[place.name].fill(shared.env, place, reader)))
    out.append(joiner.join(shared.literals[-1]))
    return b"".join(out)


# The parts ---------------------------------------------------------------------------------------


def _render(env: Environment, template: str, context: dict[str, Any]) -> str:
    return env.get_template(template).render(context)


class _Part(ABC):
    """A place of a page that differs between readers (one per name in PARTS)."""

    template: str

    @abstractmethod
    def direct(self, ctx: Context, data: dict[str, Any]) -> str:
        """Drawn at once, for the reader of the rendering."""

    @abstractmethod
    def prepare(self, ctx: Context, data: dict[str, Any]) -> Place:
        """Its place in a shared rendering (with the variants rendered now, where they need the
        rendering's objects)."""

    @abstractmethod
    def fill(self, env: Environment, place: Place, reader: Reader) -> tuple[bytes, ...]:
        """Its rendering for this reader, split on TOKEN."""

    def _variant(self, place: Place, key: Hashable, draw: Callable[[], str]) -> tuple[bytes, ...]:
        found = place.variants.get(key)
        if found is None:
            found = place.variants[key] = _split(draw())  # a race renders it twice, the same
        return found


class Nav(_Part):
    """The account menu: the reader's name, role and unread count; per reader, so never kept."""

    template = "_nav.html"

    def direct(self, ctx: Context, data: dict[str, Any]) -> str:
        return _render(ctx.environment, self.template, {**_reader_vars(ctx), "locale": ctx["locale"], **data})

    def prepare(self, ctx: Context, data: dict[str, Any]) -> Place:
        return Place("nav", {**data, "locale": ctx["locale"]})

    def fill(self, env: Environment, place: Place, reader: Reader) -> tuple[bytes, ...]:
        context = {"viewer": reader.viewer, "unread": reader.unread, "csrf_token": TOKEN, **place.data}
        return _split(_render(env, self.template, context))


class Poll(_Part):
    """The question and its tally, with the reader's answer."""

    template = "articles/_poll.html"

    def direct(self, ctx: Context, data: dict[str, Any]) -> str:
        return _render(ctx.environment, self.template, {**ctx.get_all(), **data})

    def prepare(self, ctx: Context, data: dict[str, Any]) -> Place:
        place = Place("poll", data)
        for key in [(False, None), *((True, stance) for stance in (None, *Stance))]:
            context = {
                **ctx.get_all(),
                **data,
                "viewer": _ANY_READER if key[0] else None,
                "my_stance": key[1],
            }
            place.variants[key] = _split(_render(ctx.environment, self.template, context))
        return place

    def fill(self, env: Environment, place: Place, reader: Reader) -> tuple[bytes, ...]:
        signed = reader.viewer is not None
        return place.variants[(signed, reader.marks.stance if signed else None)]


class Composer(_Part):
    """The form to react (with the reader's answer to the question chosen), the invitation to sign in,
    or why a suspended or banned reader may not write."""

    template = "comments/_composer.html"

    def direct(self, ctx: Context, data: dict[str, Any]) -> str:
        viewer = ctx.get("viewer")
        refusal = write_refusal(viewer) if viewer is not None else None
        context = {**ctx.get_all(), **data, "refusal": str(refusal) if refusal else ""}
        return _render(ctx.environment, self.template, context)

    def prepare(self, ctx: Context, data: dict[str, Any]) -> Place:
        place = Place("composer", {**data, "comments_open": ctx["article"].comments_open})
        for key in [(False, None), *((True, stance) for stance in (None, *Stance))]:
            context = {
                **ctx.get_all(),
                **data,
                "viewer": _ANY_READER if key[0] else None,
                "my_stance": key[1],
            }
            place.variants[key] = _split(_render(ctx.environment, self.template, context))
        return place

    def fill(self, env: Environment, place: Place, reader: Reader) -> tuple[bytes, ...]:
        viewer = reader.viewer
        if viewer is None:
            return place.variants[(False, None)]
        refusal = write_refusal(viewer, now=reader.now) if place.data["comments_open"] else None
        if refusal is not None:  # rare, and theirs alone: drawn for them, never kept
            return _split(_render(env, "comments/_refusal.html", {"refusal": str(refusal)}))
        return place.variants[(True, reader.marks.stance)]


class Actions(_Part):
    """A published comment's controls: the reader's vote, and what they may do with it."""

    template = "comments/_actions.html"

    def _actions(
        self,
        viewer: Identity | None,
        data: dict[str, Any],
        *,
        my_vote: int,
        rules: Rules,
        now: datetime,
        reported: bool = False,
    ) -> reader_service.Actions:
        return reader_service.actions(
            viewer,
            author_id=data["author_id"],
            created_at=data["created_at"],
            comments_open=data["comments_open"],
            my_vote=my_vote,
            reported=reported,
            rules=rules,
            now=now,
        )

    def direct(self, ctx: Context, data: dict[str, Any]) -> str:
        data = {**data, "comments_open": ctx["article"].comments_open}
        rules = ctx.get("rules") or DEFAULT_RULES
        actions = self._actions(
            ctx.get("viewer"),
            data,
            my_vote=data.get("my_vote", 0),
            rules=rules,
            now=ctx.get("now") or utcnow(),
        )
        return self._draw(ctx.environment, data, actions, ctx["csrf_token"])

    def prepare(self, ctx: Context, data: dict[str, Any]) -> Place:
        data = {**data, "comments_open": ctx["article"].comments_open}
        data.pop("my_vote", None)
        return Place("actions", data)

    def fill(self, env: Environment, place: Place, reader: Reader) -> tuple[bytes, ...]:
        data = place.data
        my_vote = reader.marks.votes.get(data["id"], 0)
        reported = data["id"] in reader.marks.reported
        viewer = reader.viewer
        if viewer is not None and data["author_id"] == viewer.id:
            actions = self._actions(viewer, data, my_vote=my_vote, rules=reader.rules, now=reader.now)
        else:
            key = (my_vote, data["comments_open"], reported)
            actions = reader.others.get(key)  # type: ignore[assignment]
            if actions is None:
                actions = reader.others[key] = self._actions(
                    viewer, data, my_vote=my_vote, rules=reader.rules, now=reader.now, reported=reported
                )
        return self._variant(place, actions, lambda: self._draw(env, data, actions, TOKEN))

    def _draw(
        self, env: Environment, data: dict[str, Any], actions: reader_service.Actions, token: str
    ) -> str:
        context = {"c": data, "a": actions, "comments_open": data["comments_open"], "csrf_token": token}
        return _render(env, self.template, context)


def _reader_vars(ctx: Context) -> dict[str, Any]:
    return {"viewer": ctx.get("viewer"), "unread": ctx.get("unread", 0), "csrf_token": ctx["csrf_token"]}


PARTS: dict[str, _Part] = {"nav": Nav(), "poll": Poll(), "composer": Composer(), "actions": Actions()}
# The poll and the composer differ only between signed-in readers and the others.
_ANY_READER = Identity(
    id=0,
    username="",
    role=Role.reader,
    status=UserStatus.active,
    suspended_until=None,
    status_reason=None,
    approved_count=0,
    locale=None,
    created_at=datetime(2000, 1, 1, tzinfo=UTC),
    session_id="",
)


@pass_context
def part(ctx: Context, name: str, **data: Any) -> Markup:
    """The template global: a part drawn for the rendering's reader, or its mark in a shared one."""
    spec = PARTS[name]
    recorder: _Recorder | None = ctx.get("shared")
    if recorder is None:
        return Markup(spec.direct(ctx, data))
    return recorder.mark(spec.prepare(ctx, data))
