"""The floor: a bare FastAPI "hello" on one uvicorn worker (`uvicorn bench.hello:app`)."""

from fastapi import FastAPI

app = FastAPI()


@app.get("/")
async def hello() -> dict[str, str]:
    return {"message": "hello"}
