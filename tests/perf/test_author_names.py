"""A reader's new display name shows at once on every cached page that holds their comments: the
article page, the debate view and the permalink, served by the process that took the change and by
another process over the same database (each keeps its own render cache; app/services/cache.py)."""

from __future__ import annotations

from pathlib import Path

import httpx
from sqlmodel import Session

from app.db import make_engine
from app.models import Stance, User
from tests.factories import make_article, make_comment
from tests.perf.live import fresh_database, live_server
from tests.perf.readers import make_readers

NEW_NAME = "Hélène Dubois-Lefèvre"


def test_a_new_display_name_shows_at_once_on_the_cached_pages_of_every_process(tmp_path: Path) -> None:
    with fresh_database(tmp_path) as url:
        engine = make_engine(url)
        with Session(engine, expire_on_commit=False) as session:
            (reader,) = make_readers(session, 1)
            author = session.get(User, reader.id)
            assert author is not None
            handle = author.username
            first = make_article(session)
            second = make_article(session)
            ids = [
                make_comment(session, article=first, author=author, stance=Stance.for_).id,
                make_comment(session, article=second, author=author, stance=Stance.against).id,
            ]
            session.commit()
        engine.dispose()
        pages = [
            path
            for slug, comment_id in zip((first.slug, second.slug), ids, strict=True)
            for path in (f"/articles/{slug}", f"/articles/{slug}/debate", f"/comments/{comment_id}")
        ]
        with live_server(url, tmp_path) as a, live_server(url, tmp_path) as b:
            for base in (a, b):
                for path in pages:  # twice: the second is served from the process's cache
                    for _ in range(2):
                        page = httpx.get(f"{base}{path}", timeout=30)
                        assert page.status_code == 200, path
                        assert f'href="/users/{handle}">{handle}</a>' in page.text, path
                        assert NEW_NAME not in page.text

            changed = httpx.post(
                f"{a}/account/profile",
                data={"display_name": NEW_NAME, "bio": "Lectrice à Lyon."},
                headers=reader.headers,
                cookies=reader.cookies,
                timeout=30,
            )
            assert changed.status_code == 303, changed.text

            for base in (a, b):
                for path in pages:
                    page = httpx.get(f"{base}{path}", timeout=30)
                    assert page.status_code == 200, path
                    assert f'href="/users/{handle}">{NEW_NAME}</a>' in page.text, (base, path)
                    assert f"@{handle}" in page.text, (base, path)
