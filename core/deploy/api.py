"""The FastAPI application behind `python -m core serve` (models and batching: core.deploy.serve). The routes are
on an APIRouter and get the served models and the feedback folder through FastAPI's dependencies (app.state)."""
from __future__ import annotations

import asyncio
import os
import time
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi_offline import FastAPIOffline
from pydantic import BaseModel, StrictBool, StrictStr
from starlette.exceptions import HTTPException

from core import labelsets
from core.data.cleaning import MAX_TEXT_CHARS
from core.deploy.serve import MAX_BODY, MAX_TEXTS, Served, api_key_from_env, key_ok, load_models, log, store_feedback
from core.store import default_data_dir


class ClassifyRequest(BaseModel):
    texts: list[StrictStr]
    model: StrictStr | None = None
    explain: StrictBool = False


class FeedbackRequest(BaseModel):
    text: StrictStr
    label: StrictStr | None = None  # a model with one label a text
    labels: list[StrictStr] | None = None  # a multi-label model: the text's whole set ([] for none)
    model: StrictStr | None = None


class Refusal(Exception):
    def __init__(self, status: int, sentence: str):
        self.status, self.sentence = status, sentence


def _error(status: int, sentence: str) -> JSONResponse:
    return JSONResponse({"error": sentence}, status_code=status)


def _header(scope, name: bytes) -> bytes | None:
    """One request header's raw value (ASGI gives names in lower case)."""
    return dict(scope.get("headers", [])).get(name)


class BodyLimit:
    """Refuse bodies over MAX_BODY while they arrive (413), before they fill memory."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = _header(scope, b"content-length")
        if declared and declared.isdigit():  # the HTTP parser frames the body by this length: nothing more arrives
            if int(declared) <= MAX_BODY:
                return await self.app(scope, receive, send)
            return await _error(413, TOO_BIG)(scope, receive, send)
        seen = 0

        async def limited():  # a chunked body: count it as it arrives
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > MAX_BODY:  # FastAPI re-raises an HTTPException from reading the body (other errors become 400)
                raise HTTPException(413, TOO_BIG)
            return message
        await self.app(scope, limited, send)


TOO_BIG = f"The request is larger than {MAX_BODY // 2**20} MB; send fewer or shorter texts."


class KeyGuard:
    """Refuse /v1 requests without the API key (401). Plain ASGI: Starlette's @app.middleware("http") runs every
    request through extra tasks and streams, which cost a tenth of the 2 cores under 16 clients."""

    def __init__(self, app, api_key: str | None):
        self.app, self.api_key = app, api_key

    async def __call__(self, scope, receive, send):
        if self.api_key and scope["type"] == "http" and scope["path"].startswith("/v1/"):
            if not key_ok((_header(scope, b"authorization") or b"").decode("latin-1"), self.api_key):
                return await _error(401, "A valid API key is needed: send it as 'Authorization: Bearer KEY'.")(
                    scope, receive, send)
        return await self.app(scope, receive, send)


router = APIRouter()


def served_models(request: Request) -> dict[str, Served]:
    """The models this app serves (set by create_app): the routes' dependency."""
    return request.app.state.models


def feedback_folder(request: Request) -> Path | None:
    """Where feedback goes (None: this server stores none)."""
    return request.app.state.data_dir


def pick(models: dict[str, Served], model_id: str | None) -> Served:
    if model_id is None:
        if len(models) == 1:
            return next(iter(models.values()))
        raise Refusal(422, f"Several models are served; name one in 'model' ({', '.join(models)}).")
    if model_id not in models:
        raise Refusal(404, f"No model '{model_id}' is served here; GET /v1/models lists them.")
    return models[model_id]


@router.get("/health")
async def health():
    return {"status": "ok"}


@router.get("/v1/models")
async def list_models(models: dict[str, Served] = Depends(served_models)):
    return {"models": [m.info for m in models.values()]}


@router.post("/v1/classify")
async def classify(body: ClassifyRequest, models: dict[str, Served] = Depends(served_models)):
    served = pick(models, body.model)
    if not body.texts:
        raise Refusal(422, "Send at least one text in 'texts'.")
    if len(body.texts) > MAX_TEXTS:
        raise Refusal(413, f"Send at most {MAX_TEXTS} texts per request; split the rest into more requests.")
    empty = [i for i, t in enumerate(body.texts) if not t.strip()]
    if empty:  # a label for nothing would look like an answer
        raise Refusal(422, f"Text {empty[0] + 1} is empty; send texts with at least one word.")
    texts = [t[:MAX_TEXT_CHARS] for t in body.texts]
    proba, cut = await served.classify(texts)
    out = served.answers(proba)
    if body.explain:
        for text, pred in zip(texts, out, strict=True):
            targets = pred["labels"] if "labels" in pred else [pred["label"]]
            said = [await asyncio.get_running_loop().run_in_executor(None, served.explain, text, t) for t in targets]
            if "labels" in pred:  # each predicted label explained on its own
                pred["explanations"] = dict(zip(targets, said, strict=True))
            else:
                pred["explanation"] = said[0]
    result = {"model": served.id, "predictions": out}
    cut = sorted(set(cut) | {i for i, t in enumerate(body.texts) if len(t) > MAX_TEXT_CHARS})
    if cut:
        result["truncated"] = cut
        result["note"] = f"{len(cut)} text(s) were longer than the model reads and were cut; see 'truncated'."
    return JSONResponse(result)  # already plain JSON: skips FastAPI's encoder walk (a few % of 2 cores under load)


@router.post("/v1/feedback")
async def feedback(body: FeedbackRequest, models: dict[str, Served] = Depends(served_models),
                   folder: Path | None = Depends(feedback_folder)):
    served = pick(models, body.model)
    label = _feedback_label(body, served)
    if folder is None:
        raise Refusal(503, "This server stores no feedback (it has no data directory).")
    record = {"text": body.text[:MAX_TEXT_CHARS], "label": label, "model": served.id,
              "time": round(time.time(), 3), "source": "api"}
    await asyncio.get_running_loop().run_in_executor(None, store_feedback, folder, record)
    return {"status": "stored"}


def _feedback_label(body: FeedbackRequest, served: Served) -> str:
    """The label a feedback request gives, as a dataset stores it, or a refusal in one sentence."""
    classes, multi = served.info["classes"], served.info["multi_label"]
    if multi and body.labels is None:
        raise Refusal(422, "This model gives texts several labels; send the text's labels as a list in 'labels' "
                           "([] when none applies).")
    if not multi and body.label is None:
        raise Refusal(422, "Send the text's correct label in 'label'.")
    given = body.labels if multi else [body.label]
    unknown = [x for x in given if x not in classes]
    if unknown:
        raise Refusal(422, f"'{unknown[0][:80]}' is not one of this model's labels ({', '.join(classes)}).")
    return labelsets.encode(given) if multi else body.label


@asynccontextmanager
async def lifespan(app: FastAPI):
    """One batcher task per served model, for the life of the server."""
    tasks = []
    for served in app.state.models.values():
        served.queue = asyncio.Queue()
        tasks.append(asyncio.create_task(served.batcher()))
    yield
    for task in tasks:
        task.cancel()


def create_app(models: dict[str, Served], api_key: str | None = None, data_dir: Path | None = None) -> FastAPI:
    """The API over already-loaded models; `api_key` guards every /v1 route when set."""
    # /docs and /redoc from the installed package's Swagger UI and ReDoc files: FastAPI's own pages load them from
    # a CDN, so offline they were blank
    app = FastAPIOffline(title="Tunelab classifier API", lifespan=lifespan,
                         description="Text classifiers trained with Tunelab. Errors are JSON: {\"error\": \"...\"}.")
    app.state.models, app.state.data_dir = models, data_dir
    app.add_middleware(BodyLimit)
    app.add_middleware(KeyGuard, api_key=api_key)
    for error, handler in HANDLERS.items():
        app.add_exception_handler(error, handler)
    app.include_router(router)
    return app


async def _invalid(request, exc):
    where = ".".join(str(p) for p in exc.errors()[0].get("loc", [])[1:]) if exc.errors() else ""
    return _error(422, "The request is not valid JSON of the expected shape"
                  + (f" (look at '{where}')" if where else "") + "; see /docs for examples.")


async def _http_error(request, exc):
    if exc.status_code == 400:  # FastAPI: "There was an error parsing the body" (not UTF-8, nested too deep)
        return _error(422, "The request is not valid JSON of the expected shape; see /docs for examples.")
    return _error(exc.status_code, "There is no such endpoint; see /docs." if exc.status_code == 404 else
                  "That method is not allowed here; see /docs." if exc.status_code == 405 else str(exc.detail))


async def _refused(request, exc):
    return _error(exc.status, exc.sentence)


async def _bug(request, exc):
    log.exception("unexpected error")
    return _error(500, "The server hit a problem on its side; it is logged. Please try again.")


# every error is one JSON sentence with the right status, never a traceback or FastAPI's own shape
HANDLERS = {RequestValidationError: _invalid, HTTPException: _http_error, Refusal: _refused, Exception: _bug}


def app_from_env() -> FastAPI:
    """For `uvicorn core.deploy.api:app_from_env --factory --workers N`: the run folders come from
    TUNELAB_SERVE_RUNS (separated by the OS path separator), the key's variable from
    TUNELAB_SERVE_KEY_ENV, feedback goes to TUNELAB_DATA_DIR. Each worker loads its own models."""

    runs = [r for r in os.environ.get("TUNELAB_SERVE_RUNS", "").split(os.pathsep) if r]
    return create_app(load_models(runs), api_key=api_key_from_env(os.environ.get("TUNELAB_SERVE_KEY_ENV")),
                      data_dir=default_data_dir())
