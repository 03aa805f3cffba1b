"""When the database goes away the site answers a clear 503, and it recovers by itself when the
database comes back, without a restart. PostgreSQL is reached through a small TCP proxy that the test
stops (closing every connection) and starts again."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url
from sqlmodel import Session

from app.config import Settings
from app.db import make_engine
from app.main import create_app
from tests.factories import make_article, make_comment
from tests.perf.live import fresh_database, postgres_base


class TcpProxy:
    """Forwards 127.0.0.1:port to the database server; `stop()` refuses and cuts every connection."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self._listener: socket.socket | None = None
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def stop(self) -> None:
        with self._lock:
            if self._listener is not None:
                # shutdown() wakes the thread blocked in accept(); close() alone would not.
                with contextlib.suppress(OSError):
                    self._listener.shutdown(socket.SHUT_RDWR)
                self._listener.close()
                self._listener = None
            for s in self._sockets:
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()
            self._sockets.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)


@pytest.fixture
def proxied(tmp_path: Path) -> Iterator[tuple[TcpProxy, str, str]]:
    with fresh_database(tmp_path, postgres=True) as url:
        real = make_url(url)
        engine = make_engine(url)
        with Session(engine) as session:
            article = make_article(session)
            make_comment(session, article=article, body="Un avis qui doit survivre à la panne.")
            session.commit()
            slug = article.slug
        engine.dispose()
        proxy = TcpProxy((real.host or "127.0.0.1", real.port or 5432))
        proxy.start()
        try:
            yield (
                proxy,
                real.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False),
                slug,
            )
        finally:
            proxy.stop()


def test_the_site_answers_503_while_the_database_is_away_and_recovers_alone(
    proxied: tuple[TcpProxy, str, str], tmp_path: Path
) -> None:
    postgres_base()
    proxy, url, slug = proxied
    app = create_app(Settings(database_url=url, secret_key="outage", instance_path=tmp_path))
    with TestClient(app, base_url="http://testserver") as client:
        assert client.get(f"/articles/{slug}").status_code == 200
        assert client.get("/healthz").status_code == 200

        proxy.stop()
        page = client.get(f"/articles/{slug}")
        assert page.status_code == 503
        assert "<html" in page.text
        assert "momentanément indisponible" in page.text
        assert page.headers["retry-after"]
        api = client.get(f"/api/v1/articles/{slug}/comments")
        assert api.status_code == 503
        assert api.json()["error"]
        assert client.get("/healthz").status_code == 503

        proxy.start()
        page = client.get(f"/articles/{slug}")
        assert page.status_code == 200
        assert "Un avis qui doit survivre à la panne." in page.text
        assert client.get(f"/api/v1/articles/{slug}/comments").status_code == 200
        assert client.get("/healthz").status_code == 200
    app.state.engine.dispose()
