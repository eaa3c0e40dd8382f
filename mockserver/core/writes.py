"""The write path every vendor's write handlers share: read, check, refuse, in one way.

A write handler does three things, in this order, and changes nothing until the last:

    body = await write_body(request, "pai/CreateModelRequest.json")  # WriteError if bad
    ... find what it touches in its backend, raise its own not-found / conflict ...
    store.apply("pai", [Change("models", old=None, new=record)])     # FixtureError if bad

`write_body` refuses a write on a server of several worker processes (each holds its
own state), a body too large, not JSON, or not valid against the operation's request
schema. The vendor renders a `WriteError` in its envelope (`Vendor.write_error`); the
message names the field (`$.ModelName: ...`) in the format fixture problems use.
"""

from __future__ import annotations

from typing import Any, Literal

from starlette.requests import Request

from mockserver.core.bodies import BodyError, parse_json, read_body
from mockserver.core.errors import clip, first
from mockserver.core.fixtures import FixtureError

Reason = Literal["too_large", "not_json", "invalid", "single_process"]


class WriteError(Exception):
    """A write refused before any change; `Vendor.write_error` answers it in the envelope.

    `reason` says which kind (the vendor picks its code from it), `field` is the JSON path
    of the first field at fault (None for the body as a whole), `status` the neutral
    status (413 too large, 409 several processes, else 400) a vendor may keep or map.
    """

    def __init__(self, reason: Reason, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.reason: Reason = reason
        self.message = message
        self.field = field
        self.status = {"too_large": 413, "single_process": 409}.get(reason, 400)


PROBLEM_LIMIT = 200  # characters of one problem in a message


def single_process(request: Request) -> None:
    """Refuse a change when the server runs several worker processes: it would change
    only the one that received it, and the next read may land on another."""
    workers = request.app.settings.workers
    if workers != 1:
        raise WriteError(
            "single_process",
            f"{request.method} {request.url.path} changes state, and the mock runs {workers} "
            "worker processes that each hold their own: run it with --workers 1 to write.",
        )


async def read_json(request: Request, *, empty: Any = None) -> Any:
    """The request's JSON body (or `empty` when there is none), after `single_process`."""
    single_process(request)
    try:
        raw = await read_body(request)
        if not raw.strip() and empty is not None:
            return empty
        body = parse_json(raw)
    except BodyError as exc:
        raise WriteError("too_large" if exc.status == 413 else "not_json", str(exc)) from None
    request.scope.setdefault("state", {})["body"] = body  # for the journal (assertions)
    return body


def check(request: Request, schema: str, body: Any) -> dict[str, Any]:
    """`body` if valid against the request schema `schema`, else WriteError naming the
    first field at fault (every problem, up to a limit, in the message)."""
    problems = request.app.store.schemas.errors(schema, body)
    if problems:
        path, _ = problems[0]
        shown = first([clip(f"{p}: {m}", PROBLEM_LIMIT) for p, m in problems])
        raise WriteError("invalid", "; ".join(shown), field=path)
    assert isinstance(body, dict)  # every request schema is an object
    return body


async def write_body(request: Request, schema: str, *, empty: Any = None) -> dict[str, Any]:
    """The checked JSON body of a write: `read_json` then `check`."""
    return check(request, schema, await read_json(request, empty=empty))


def refused(exc: FixtureError) -> WriteError:
    """A record the store refused (FixtureError from `Store.apply`) as a WriteError: what
    a handler built from a valid body broke a data rule (a key taken, a bad reference)."""
    problem = exc.problems[0]
    shown = first([clip(f"{p.path}: {p.message}", PROBLEM_LIMIT) for p in exc.problems])
    return WriteError("invalid", "; ".join(shown), field=problem.path)
