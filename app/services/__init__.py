"""Rules and queries, one module per feature. Never imports FastAPI or templates."""
