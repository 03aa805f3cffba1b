"""The ASGI entry point for uvicorn: `uvicorn app.asgi:app`."""

from app.main import create_app
from app.process import settle_heap, tune_worker

tune_worker()
app = create_app()
settle_heap()
