from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.errors import NotFound, PermissionDenied
from app.models import Comment, CommentStatus, User
from app.services import votes
from app.services.ranking import wilson_lower_bound
from app.services.sql import work_scope
from tests.factories import make_article, make_comment, make_user


def test_same_arrow_again_withdraws_and_the_other_switches(session: Session) -> None:
    comment, voter = make_comment(session), make_user(session)
    assert votes.toggle_vote(session, voter=voter, comment_id=comment.id, direction=1) == votes.VoteResult(
        1, 0, 1
    )
    assert votes.toggle_vote(session, voter=voter, comment_id=comment.id, direction=1) == votes.VoteResult(
        0, 0, 0
    )
    assert votes.toggle_vote(session, voter=voter, comment_id=comment.id, direction=1) == votes.VoteResult(
        1, 0, 1
    )
    assert votes.toggle_vote(session, voter=voter, comment_id=comment.id, direction=-1) == votes.VoteResult(
        0, 1, -1
    )


def test_set_vote_is_idempotent_and_zero_withdraws(session: Session) -> None:
    comment, voter = make_comment(session), make_user(session)
    votes.set_vote(session, voter=voter, comment_id=comment.id, value=1)
    assert votes.set_vote(session, voter=voter, comment_id=comment.id, value=1) == votes.VoteResult(1, 0, 1)
    assert votes.set_vote(session, voter=voter, comment_id=comment.id, value=0) == votes.VoteResult(0, 0, 0)
    assert votes.set_vote(session, voter=voter, comment_id=comment.id, value=0) == votes.VoteResult(0, 0, 0)


def test_no_vote_on_ones_own_comment(session: Session) -> None:
    author = make_user(session)
    comment = make_comment(session, author=author)
    with pytest.raises(PermissionDenied):
        votes.set_vote(session, voter=author, comment_id=comment.id, value=1)


def test_no_vote_on_a_closed_debate(session: Session) -> None:
    comment = make_comment(session)
    comment.article.comments_open = False
    session.flush()
    with pytest.raises(PermissionDenied):
        votes.set_vote(session, voter=make_user(session), comment_id=comment.id, value=1)


def test_no_vote_on_a_deleted_comment(session: Session) -> None:
    comment = make_comment(session)
    comment.status = CommentStatus.deleted
    session.flush()
    with pytest.raises(NotFound):
        votes.set_vote(session, voter=make_user(session), comment_id=comment.id, value=1)


def test_votes_move_the_ranking_score(session: Session) -> None:
    comment = make_comment(session)
    for _ in range(3):
        votes.set_vote(session, voter=make_user(session), comment_id=comment.id, value=1)
    votes.set_vote(session, voter=make_user(session), comment_id=comment.id, value=-1)
    session.refresh(comment)
    assert comment.score_best == pytest.approx(wilson_lower_bound(3, 1))
    assert comment.score_controversy > 0


# Concurrency: real transactions committed from several threads at once.


def _setup(engine: Engine, readers: int) -> tuple[int, list[int]]:
    with Session(engine) as session:
        article = make_article(session)
        author = make_user(session)
        comment = make_comment(session, article=article, author=author)
        voters = [make_user(session).id for _ in range(readers)]
        session.commit()
        assert comment.id is not None
        return comment.id, [v for v in voters if v is not None]


def _run_threads(jobs: list[Callable[[], None]]) -> list[BaseException]:
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(jobs))

    def wrap(job: Callable[[], None]) -> None:
        barrier.wait()
        try:
            job()
        except BaseException as exc:  # noqa: BLE001 - reported to the test below
            errors.append(exc)

    threads = [threading.Thread(target=wrap, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return errors


def _vote_job(engine: Engine, voter_id: int, comment_id: int, value: int) -> Callable[[], None]:
    def job() -> None:
        for work in work_scope(engine, write=True):
            session = work.orm
            voter = session.get(User, voter_id)
            comment = session.get(Comment, comment_id)
            assert voter is not None
            assert comment is not None
            votes.set_vote(session, voter=voter, comment_id=comment.id, value=value)

    return job


def _tallies(engine: Engine, comment_id: int) -> tuple[int, int, int]:
    with Session(engine) as session:
        comment = session.get(Comment, comment_id)
        assert comment is not None
        from sqlmodel import func, select

        from app.models import CommentVote

        rows = session.exec(select(func.count()).where(CommentVote.comment_id == comment_id)).one()
        return comment.upvotes, comment.downvotes, rows


def test_50_concurrent_votes_by_one_reader_count_once(committed: Engine) -> None:
    comment_id, (voter_id,) = _setup(committed, 1)
    errors = _run_threads([_vote_job(committed, voter_id, comment_id, 1) for _ in range(50)])
    assert errors == []
    assert _tallies(committed, comment_id) == (1, 0, 1)


def test_200_readers_voting_at_once_give_an_exact_tally(committed: Engine) -> None:
    comment_id, voter_ids = _setup(committed, 200)
    values = [1 if i % 4 else -1 for i in range(200)]
    jobs = [_vote_job(committed, v, comment_id, value) for v, value in zip(voter_ids, values, strict=True)]
    errors = _run_threads(jobs)
    assert errors == []
    assert _tallies(committed, comment_id) == (values.count(1), values.count(-1), 200)
