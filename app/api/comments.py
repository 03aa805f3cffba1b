from __future__ import annotations

from fastapi import APIRouter, Request, Response

from app.api.common import json_response
from app.api.schemas import CommentOut, VoteOut, comment_out
from app.deps import (
    CommentDep,
    CommentId,
    CurrentUser,
    LimiterDep,
    RulesDep,
    SessionDep,
    Viewer,
    WorkDep,
    run_db,
)
from app.models.schemas import CommentUpdate, ReportCreate, VoteRequest
from app.services import comments, moderation, votes

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
    request: Request, work: WorkDep, user: CurrentUser, comment_id: CommentId, data: VoteRequest
) -> Response:
    """Set your vote: 1 up, -1 down, 0 withdraws."""
    result = await run_db(request, votes.set_vote, work, voter=user, comment_id=comment_id, value=data.value)
    return json_response(
        {"upvotes": result.upvotes, "downvotes": result.downvotes, "my_vote": result.my_vote}
    )


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
