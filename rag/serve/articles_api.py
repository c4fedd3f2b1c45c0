"""HTTP routes that change the collection: add, replace and delete articles while serving.

Thin like the answer routes: the body is turned into ``Article`` values at the edge (the same
checks and words as ``rag ingest``: ``rag.index.loader`` / ``rag.index.uploads``), the whole
request is checked before anything is written, and one call into the service writes it. A
write returns once it is committed and this process's view of the collection is refreshed, so
the next question is answered from it. Writes run one at a time, beside the answers.

Bodies: ``text/plain`` (one article, a file's content: ``date YYYY-MM-DD`` then the text; the
id in ``?id=``) or ``application/json`` (``{"articles": [{"id", "date", "text", "headline"?}]}``
or one ``{"id", "date", "text", "headline"?}`` for POST, ``{"date", "text", "headline"?}`` for PUT). Bodies up to ``MAX_ARTICLES_BODY_BYTES``
(8 MiB) and ``MAX_ARTICLES_PER_REQUEST`` (100) articles; one article at most 5 MB.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import anyio
from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, StrictStr, ValidationError

from rag.errors import ArticleError
from rag.index.loader import parse_bytes
from rag.index.uploads import MAX_ARTICLES_PER_REQUEST, article_from_fields, check_batch, check_id
from rag.serve.middleware import MAX_ARTICLES_BODY_BYTES
from rag.serve.schemas import ErrorResponse, _Body
from rag.serve.service import Service
from rag.text.headline import headline
from rag.types import Article, IngestReport

_ERROR_TEXT = {
    400: "Bad article: not UTF-8, no or a bad date header, empty, over 5 MB, a bad or repeated id",
    401: "Missing or wrong API key",
    404: "No such article",
    413: f"Request body over {MAX_ARTICLES_BODY_BYTES} bytes",
    415: "Content-Type is neither text/plain nor application/json",
    422: "The JSON body does not match the schema",
    500: "Internal error: the request id is in the server log",
    503: "The index is loading or the store is unreachable",
}


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {code: {"model": ErrorResponse, "description": _ERROR_TEXT[code]} for code in codes}


class ArticleIn(_Body):
    model_config = ConfigDict(extra="forbid")
    id: StrictStr = Field(description="The article id (letters, digits, '.', '_', '-'; as a file stem)")
    date: StrictStr = Field(description="Publication date, YYYY-MM-DD")
    text: StrictStr = Field(description="The article text, kept exactly (quotes' offsets index it)")
    headline: StrictStr | None = Field(
        default=None, description="Optional: written as the text's first line, then a blank line"
    )


class ArticlesIn(_Body):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"articles": [{"id": "kyiv-0912", "date": "2025-09-12", "text": "Talks in Kyiv stalled."}]}
            ]
        },
    )
    articles: list[ArticleIn] = Field(min_length=1, max_length=MAX_ARTICLES_PER_REQUEST)


class ReplacementIn(_Body):
    model_config = ConfigDict(extra="forbid")
    id: StrictStr | None = Field(default=None, description="If given, must equal the id in the path")
    date: StrictStr
    text: StrictStr
    headline: StrictStr | None = None


class ArticleResult(BaseModel):
    article_id: str
    published: str
    headline: str
    status: str = Field(description="added | updated | unchanged")


class WriteResult(BaseModel):
    articles: list[ArticleResult]
    chunks_written: int


class Deleted(BaseModel):
    deleted: str


_TEXT_EXAMPLE = "date 2025-09-12\nKyiv talks stall\n\nTalks in Kyiv stalled on Friday, officials said."


def _body_doc(*models: type[BaseModel]) -> dict[str, Any]:
    schemas = [_inline(m.model_json_schema()) for m in models]
    schema = schemas[0] if len(schemas) == 1 else {"anyOf": schemas}
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": schema},
                "text/plain": {"schema": {"type": "string"}, "example": _TEXT_EXAMPLE},
            },
        }
    }


def _inline(schema: dict[str, Any]) -> dict[str, Any]:
    """A pydantic JSON schema with its ``$defs`` put in place of each ``$ref`` (the body is read
    by hand, so FastAPI does not register the models as components)."""
    defs = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/$defs/"):
                return walk(defs[ref.rsplit("/", 1)[1]])
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(schema)


def articles_router(service: Service, require_key: Callable[[Request], None]) -> APIRouter:
    """``POST /v1/articles``, ``PUT /v1/articles/{id}``, ``DELETE /v1/articles/{id}``."""
    router = APIRouter(prefix="/v1", dependencies=[Depends(require_key)])

    async def write(fn: Callable[..., Any], *args: Any) -> Any:
        return await anyio.to_thread.run_sync(lambda: fn(*args), limiter=service.write_limiter)

    @router.post(
        "/articles",
        response_model=WriteResult,
        summary="Add articles (or replace ones with the same id)",
        description="A new id is added, a changed one replaced, an unchanged one left alone; the whole "
        "request is checked before anything is written. Answers use the articles once this returns. "
        'JSON: `{"articles": [...]}` or one article object `{"id", "date", "text", "headline"?}`. '
        "`text/plain`: one article (a file's content, `date YYYY-MM-DD` first), its id in `?id=`.",
        responses=_errors(400, 401, 413, 415, 422, 500, 503),
        openapi_extra=_body_doc(ArticlesIn, ArticleIn),
    )
    async def add(request: Request, id: str | None = Query(default=None, max_length=200)) -> Any:
        body = await request.body()
        if _kind(request) == "json":
            data = _json_object(body, '{"articles": [{"id", "date", "text"}]} or one {"id", "date", "text"}')
            if "articles" not in data and {"id", "text"} & set(data):  # one article object
                articles = [_from_json(_validate(ArticleIn, data))]
            else:
                articles = [_from_json(a) for a in _validate(ArticlesIn, data).articles]
        else:
            if id is None:
                raise ArticleError("a text/plain article needs its id in the URL: POST /v1/articles?id=ID")
            articles = [parse_bytes(body, check_id(id))]
        check_batch(articles)
        report = await write(service.add_articles, articles)
        return _result(articles, report)

    @router.put(
        "/articles/{article_id}",
        response_model=WriteResult,
        summary="Replace an article: its old text and chunks go, the new ones come in, in one commit",
        responses=_errors(400, 401, 404, 413, 415, 422, 500, 503),
        openapi_extra=_body_doc(ReplacementIn),
    )
    async def replace(article_id: str, request: Request) -> Any:
        check_id(article_id)
        body = await request.body()
        if _kind(request) == "json":
            new = _parse(ReplacementIn, body)
            if new.id is not None and new.id != article_id:
                raise ArticleError(f"id {new.id!r} in the body differs from {article_id!r} in the path")
            article = article_from_fields(article_id, new.date, new.text, new.headline)
        else:
            article = parse_bytes(body, article_id)
        report = await write(service.replace_article, article)
        return _result([article], report)

    @router.delete(
        "/articles/{article_id}",
        response_model=Deleted,
        summary="Delete an article: no answer cites it once this returns",
        responses=_errors(401, 404, 422, 500, 503),
    )
    async def delete(article_id: str) -> Any:
        await write(service.delete_article, article_id)
        return {"deleted": article_id}

    return router


def _kind(request: Request) -> str:
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype == "application/json":
        return "json"
    if ctype == "text/plain":
        return "text"
    raise HTTPException(
        415,
        f"Content-Type {ctype or '(none)'!r} is not accepted: send text/plain (a file's content, "
        "'date YYYY-MM-DD' first) or application/json",
    )


def _parse(model: type[Any], body: bytes) -> Any:
    return _validate(model, _json_object(body, '{"date", "text"}'))


def _json_object(body: bytes, example: str) -> dict[str, Any]:
    """The body as a JSON object; a 400 if it is not UTF-8, a 422 if it is not a JSON object."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ArticleError(
            f"the request body is not UTF-8 (byte 0x{body[e.start]:02x} at offset {e.start})"
        ) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise RequestValidationError(
            [{"type": "json_invalid", "loc": ("body",), "msg": "JSON decode error", "ctx": {"error": e.msg}}]
        ) from None
    if not isinstance(data, dict):
        msg = f"the body must be a JSON object like {example}, not a {type(data).__name__}"
        raise RequestValidationError([{"type": "value_error", "loc": ("body",), "msg": msg}])
    return data


def _validate(model: type[Any], data: dict[str, Any]) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as e:
        raise RequestValidationError(e.errors()) from None


def _from_json(a: ArticleIn) -> Article:
    return article_from_fields(a.id, a.date, a.text, a.headline)


def _result(articles: list[Article], report: IngestReport) -> dict[str, Any]:
    status = {i: "added" for i in report.added} | {i: "updated" for i in report.updated}
    return {
        "articles": [
            {
                "article_id": a.article_id,
                "published": a.published_iso,
                "headline": headline(a.text),
                "status": status.get(a.article_id, "unchanged"),
            }
            for a in articles
        ],
        "chunks_written": report.chunks_written,
    }
