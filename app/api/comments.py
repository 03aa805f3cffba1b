from __future__ import annotations

from fastapi import APIRouter, Request, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from app.api.common import json_response, lane_input
from app.api.schemas import CommentOut, VoteOut, comment_out
from app.deps import (
    CommentDep,
    CommentId,
    CurrentUser,
    LimiterDep,
    RulesDep,
    SessionDep,
    TxActor,
    TxDep,
    Viewer,
    identify,
    lane_tx,
    parse_comment_id,
    run_db,
)
from app.errors import DomainError
from app.models.schemas import CommentUpdate, ReportCreate, VoteRequest
from app.services import comments, events, moderation, votes
from app.services.sql import Tx

router = APIRouter(prefix="/comments", tags=["comments"])


@router.get("/{comment_id}", response_model=CommentOut)
def get_comment(session: SessionDep, viewer: Viewer, comment: CommentDep) -> Response:
    """A comment with its whole branch."""
    found = comments.branch(session, comment=comment, viewer=viewer)
    return json_response(comment_out(found.node, slug=comment.article.slug, viewer=viewer))


@router.patch("/{comment_id}", response_model=CommentOut)
def patch_comment(
    session: SessionDep, user: CurrentUser, comment: CommentDep, rules: RulesDep, data: CommentUpdate
) -> Response:
    """Edit a comment: its author within the edit window, or a moderator."""
    comments.edit_comment(session, user=user, comment=comment, data=data, rules=rules)
    found = comments.branch(session, comment=comment, viewer=user)
    return json_response(comment_out(found.node, slug=comment.article.slug, viewer=user))


@router.delete("/{comment_id}", status_code=204)
def delete_comment(session: SessionDep, user: CurrentUser, comment: CommentDep) -> Response:
    """Delete a comment; a placeholder stays where it has replies."""
    comments.delete_comment(session, user=user, comment=comment)
    return Response(status_code=204)


@router.put("/{comment_id}/vote", response_model=VoteOut)
async def put_vote(
    request: Request, tx: TxDep, actor: TxActor, comment_id: CommentId, data: VoteRequest
) -> Response:
    """Set your vote: 1 up, -1 down, 0 withdraws."""
    # On a Tx: the busiest write of a debate, where the ORM session's own cost was half the request's.
    result = await run_db(request, votes.set_vote, tx, voter=actor, comment_id=comment_id, value=data.value)
    return json_response(
        {"upvotes": result.upvotes, "downvotes": result.downvotes, "my_vote": result.my_vote}
    )


async def vote_lane(scope: Scope, receive: Receive, send: Send, route: ASGIApp) -> bool:
    """put_vote for a request that passes every check, without FastAPI's dependency solver, which
    cost more than the vote itself: the same dependencies, called directly in the same order
    (check_csrf, the JSON body as VoteRequest, parse_comment_id, a Tx, the actor), then the same
    service. Any other request (no session, a bad token or body, a refusal of the service) goes to
    put_vote itself, which answers it; whatever this lane wrote is rolled back first. Off with
    TRIBUNE_FAST_LANES=false; tests/api/test_vote_lane.py compares the two on every case."""
    request, data = await lane_input(scope, receive, VoteRequest)
    try:
        comment_id = await parse_comment_id(scope["path_params"]["comment_id"])
    except DomainError:
        data = None
    if data is None:
        await route(scope, request.receive, send)
        return False
    tx = lane_tx(request)
    result = await run_db(request, _vote_in_lane, request, tx, comment_id, data.value)
    if result is None:
        request.scope["state"].pop("actor", None)  # put_vote reads the reader again, in its own Tx
        await route(scope, request.receive, send)
        return False
    events.publish_queued(tx.info)
    response = json_response(
        {"upvotes": result.upvotes, "downvotes": result.downvotes, "my_vote": result.my_vote}
    )
    await response(scope, request.receive, send)
    return True


def _vote_in_lane(request: Request, tx: Tx, comment_id: int, value: int) -> votes.VoteResult | None:
    """The lane's database work, in one step (one thread-pool hop on PostgreSQL): None to decline."""
    try:
        actor = identify(request, tx)
        if actor is None:
            tx.finish(commit=False)
            return None
        result = votes.set_vote(tx, voter=actor, comment_id=comment_id, value=value)
    except DomainError:
        tx.finish(commit=False)
        return None
    except BaseException:
        tx.finish(commit=False)
        raise
    tx.finish(commit=True)
    return result


@router.post("/{comment_id}/reports", status_code=201)
def report_comment(
    session: SessionDep,
    user: CurrentUser,
    comment: CommentDep,
    rules: RulesDep,
    limiter: LimiterDep,
    data: ReportCreate,
) -> Response:
    """Report a comment to the moderators, with a reason; once per reader."""
    entry = moderation.report(
        session,
        reporter=user,
        comment=comment,
        reason=data.reason,
        note=data.note,
        rules=rules,
        limiter=limiter,
    )
    return json_response({"id": entry.id, "reason": entry.reason.value, "note": entry.note}, 201)
