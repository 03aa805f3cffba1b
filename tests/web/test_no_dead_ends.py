"""Issue 15, items 2 and 4: a reader who may not write is told why and until when; controls that
cannot be used say why; the report form is not offered twice; the composer starts from the reader's
answer to the question."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from app.models import Reason, Stance, UserStatus
from app.services import articles, moderation
from tests.conftest import ClientFor
from tests.factories import make_article, make_comment, make_user, page_csrf


def _suspended(session: Session):  # type: ignore[no-untyped-def]
    until = datetime(2031, 12, 10, 14, 0, tzinfo=UTC)
    return make_user(
        session, status=UserStatus.suspended, suspended_until=until, status_reason="Insultes répétées"
    )


def test_a_suspended_reader_sees_why_and_until_when_instead_of_the_composer(
    client_for: ClientFor, session: Session
) -> None:
    article = make_article(session)
    make_comment(session, article=article, body="Un avis publié.")
    html = client_for(_suspended(session)).get(f"/articles/{article.slug}").text
    assert 'id="comment-form"' not in html
    # 14:00 UTC, in the newsroom's time (Europe/Paris).
    assert "Votre compte est suspendu jusqu’au 10 déc. 2031 à 15:00 : Insultes répétées" in html
    assert ">Répondre<" not in html
    assert "Votre compte ne peut pas voter pour l’instant." in html


def test_the_suspension_date_is_written_in_the_readers_language(
    client_for: ClientFor, session: Session
) -> None:
    article = make_article(session)
    client = client_for(_suspended(session))
    client.cookies.set("tribune_lang", "en")
    html = client.get(f"/articles/{article.slug}").text
    assert "10 Dec 2031, 15:00" in html
    assert "jusqu’au" not in html


def test_a_suspended_reader_gets_the_reason_not_a_reply_form(client_for: ClientFor, session: Session) -> None:
    comment = make_comment(session)
    response = client_for(_suspended(session)).get(f"/comments/{comment.id}/reply")
    assert response.status_code == 403
    assert "Votre compte est suspendu jusqu’au" in response.text
    assert 'name="body"' not in response.text


def test_anonymous_arrows_look_disabled_and_say_to_sign_in(client_for: ClientFor, session: Session) -> None:
    comment = make_comment(session)
    html = client_for(None).get(f"/articles/{comment.article.slug}").text
    votes = re.search(rf'<form id="votes-{comment.id}".*?</form>', html, re.S)
    assert votes is not None
    assert 'title="Connectez-vous pour voter."' in votes.group(0)
    assert votes.group(0).count("disabled") == 2
    assert "(Connectez-vous pour voter.)" in votes.group(0)


def test_own_comment_arrows_say_why(client_for: ClientFor, session: Session) -> None:
    author = make_user(session)
    comment = make_comment(session, author=author)
    html = client_for(author).get(f"/articles/{comment.article.slug}").text
    assert 'title="On ne vote pas pour son propre message."' in html


def test_closed_debate_arrows_say_why(client_for: ClientFor, session: Session) -> None:
    article = make_article(session)
    make_comment(session, article=article)
    article.comments_open = False
    session.flush()
    html = client_for(make_user(session)).get(f"/articles/{article.slug}").text
    assert 'title="Ce débat est clos : les votes sont fermés."' in html


def test_the_report_link_is_not_offered_again_after_reporting(
    client_for: ClientFor, session: Session
) -> None:
    comment = make_comment(session)
    reporter = make_user(session)
    client = client_for(reporter)
    before = client.get(f"/articles/{comment.article.slug}").text
    assert f'href="/comments/{comment.id}/report"' in before
    token = page_csrf(client, f"/comments/{comment.id}/report")
    sent = client.post(
        f"/comments/{comment.id}/report", data={"reason": "spam", "note": "", "csrf_token": token}
    )
    assert sent.status_code == 303
    after = client.get(f"/articles/{comment.article.slug}").text
    assert f'href="/comments/{comment.id}/report"' not in after
    assert "Signalé" in after
    again = client.get(f"/comments/{comment.id}/report")
    assert "Vous avez déjà signalé ce message" in again.text
    assert 'name="reason"' not in again.text


def test_a_report_made_elsewhere_hides_the_link_too(client_for: ClientFor, session: Session) -> None:
    comment = make_comment(session)
    reporter = make_user(session)
    moderation.report(session, reporter=reporter, comment=comment, reason=Reason.spam)
    html = client_for(reporter).get(f"/comments/{comment.id}/report", headers={"HX-Request": "true"}).text
    assert "Vous avez déjà signalé ce message" in html


def test_the_composer_starts_from_the_readers_answer_to_the_question(
    client_for: ClientFor, session: Session
) -> None:
    article = make_article(session)
    reader = make_user(session)
    articles.set_stance(session, user=reader, article=article, stance=Stance.against)
    html = client_for(reader).get(f"/articles/{article.slug}").text
    form = html[html.index('id="comment-form"') :]
    assert re.search(r'value="against" required checked', form)
    assert not re.search(r'value="for" required checked', form)


def test_the_composer_says_when_the_chosen_stance_differs_from_the_answer(
    client_for: ClientFor, session: Session
) -> None:
    article = make_article(session, label_for="Oui", label_against="Contre")
    reader = make_user(session)
    articles.set_stance(session, user=reader, article=article, stance=Stance.for_)
    html = client_for(reader).get(f"/articles/{article.slug}").text
    assert "Vous avez répondu « Oui » à la question ; cette réaction est « Contre »." in html
    assert "stance-differs-against" in html
    assert "stance-differs-for" not in html  # the same stance needs no word


def test_comment_times_carry_the_exact_date_to_the_second_and_the_edit_time(
    client_for: ClientFor, session: Session
) -> None:
    created = datetime(2026, 3, 4, 9, 15, 30, 123456, tzinfo=UTC)
    comment = make_comment(session)
    comment.created_at = created
    comment.edited_at = created + timedelta(minutes=5)
    session.flush()
    html = client_for(None).get(f"/comments/{comment.id}").text
    exact = "4 mars 2026 à 10:15"  # the newsroom's time (Europe/Paris); the attribute stays UTC
    assert f'<time datetime="2026-03-04T09:15:30+00:00" title="{exact}" data-relative>{exact}</time>' in html
    assert re.search(
        r'class="edited">modifié <time datetime="2026-03-04T09:20:30\+00:00" title="4 mars 2026 à 10:20"',
        html,
    )
    assert ".123456" not in html
