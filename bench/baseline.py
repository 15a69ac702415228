"""The baseline for `throughput.py`: a bare FastAPI app that answers GET with a constant JSON.

It is served by the same uvicorn, with the same options, as Attune, so the ratio of Attune's
requests per second to this app's is the cost of Attune's own work (routing, validation,
database, serialization) on top of the framework and server floor.
"""

from __future__ import annotations

from fastapi import FastAPI

PATH = "/ping"

app = FastAPI(title="bench baseline", openapi_url=None, docs_url=None, redoc_url=None)


@app.get(PATH)
async def ping() -> dict[str, str]:
    """A constant small JSON object."""
    return {"status": "ok"}
