"""The `mockserver` command: serve, check, routes, openapi, drift.

`main(argv) -> int` so tests call it directly. Exit codes: 0 fine (Ctrl+C or SIGTERM on
`serve` included), 1 `check` found problems or `serve` could not save its --state-dir
at shutdown, 2 bad usage, a port that cannot be bound,
or fixtures that stop the server from starting; 130 for Ctrl+C on the other commands.
"""

from __future__ import annotations

import argparse
import errno
import logging
import math
import os
import re
import socket
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from mockserver._version import __version__
from mockserver.core.auth import MODES, Credential, credentials, load_credentials
from mockserver.core.faults import FaultSpecError, parse_rate_limit, rate_limits
from mockserver.core.fixtures import FixtureError
from mockserver.core.lifecycle import Timing
from mockserver.settings import Settings, data_dir

log = logging.getLogger("mockserver")

LOG_LEVELS = ("critical", "error", "warning", "info", "debug")


# Upper bounds for the numeric options: beyond them a value is a typo, or would exhaust
# the machine (a generated record costs about 8 KB, a journal entry up to 2 KB).
MAX_PORT = 65535
MAX_SEED = 2**64 - 1
MAX_GENERATE = 1_000_000
MAX_WORKERS = 64
MAX_JOURNAL = 1_000_000
MAX_HEAD_TIMEOUT = 3600.0
_INTEGER = re.compile(r"[+-]?[0-9]{1,20}")


def _integer(low: int, high: int) -> Any:
    """An argparse type: a plain decimal integer from low to high, or argparse's error
    (exit 2). int() alone takes '1_000' and other digits, and no range."""

    def parse(text: str) -> int:
        if not _INTEGER.fullmatch(text.strip()):
            raise argparse.ArgumentTypeError(f"not a whole number: {text[:40]!r}")
        value = int(text)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be from {low} to {high}, not {value}")
        return value

    return parse


def _seconds(text: str) -> float:
    """An argparse type: a positive, finite number of seconds up to MAX_HEAD_TIMEOUT."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text[:40]!r}") from None
    if not (math.isfinite(value) and 0 < value <= MAX_HEAD_TIMEOUT):
        raise argparse.ArgumentTypeError(
            f"must be more than 0 and at most {MAX_HEAD_TIMEOUT:g} seconds, not {text[:40]}"
        )
    return value


def _rate_limit(text: str) -> str:
    """The text of a valid --rate-limit, so argparse reports a bad one (exit 2)."""
    try:
        parse_rate_limit(text)
    except FaultSpecError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _timing(text: str) -> str:
    """The text of a valid --lifecycle, so argparse reports a bad one (exit 2)."""
    try:
        return str(Timing.parse(text))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mockserver",
        description="A local, faithful mock of documented ML-platform APIs "
        "(Alibaba PAI, Huawei DataArts Fabric, Dreadnode, DashScope).",
        epilog="Run 'mockserver COMMAND --help' for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"mockserver {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    serve = commands.add_parser(
        "serve",
        help="serve every vendor's endpoints on one port",
        description="Serve every emulated endpoint at its real path on one port.",
        epilog="Records found valid at start are remembered for faster later starts in "
        "~/.cache/mockserver (set MOCKSERVER_CACHE_DIR to move it, or to '-' for none).",
    )
    serve.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to bind (default: %(default)s; 0.0.0.0 exposes it)",
    )
    serve.add_argument(
        "--port",
        type=_integer(0, MAX_PORT),
        default=8000,
        help="port, 0 for any free one (default: %(default)s)",
    )
    serve.add_argument(
        "--fixtures",
        type=Path,
        metavar="DIR",
        help="fixtures folder to serve instead of the bundled data",
    )
    serve.add_argument(
        "--state-dir",
        type=Path,
        metavar="DIR",
        help="keep the records here across restarts: loaded at start when DIR holds a "
        "saved state (instead of --fixtures and --generate), saved on Ctrl+C, SIGTERM and "
        "POST /_mock/state/save (atomically; DIR is replaced whole)",
    )
    serve.add_argument(
        "--seed",
        type=_integer(0, MAX_SEED),
        metavar="N",
        help="seed for generated data, request ids and fault probabilities, so runs repeat",
    )
    serve.add_argument(
        "--generate",
        type=_integer(0, MAX_GENERATE),
        default=0,
        metavar="N",
        help="add N synthetic records per generated collection on top of the fixtures "
        "(deterministic with --seed)",
    )
    serve.add_argument(
        "--workers",
        type=_integer(1, MAX_WORKERS),
        default=1,
        metavar="N",
        help="uvicorn worker processes (default: %(default)s); with more than one, "
        "control-plane writes are refused",
    )
    serve.add_argument(
        "--journal-size",
        type=_integer(1, MAX_JOURNAL),
        default=1000,
        metavar="N",
        help="requests kept by GET /_mock/requests (default: %(default)s)",
    )
    serve.add_argument(
        "--auth",
        choices=MODES,
        default="off",
        help="off: any or no credentials; check: each vendor's credential must be present "
        "and well formed; verify: also checked against --credential keys, signatures "
        "recomputed (default: %(default)s)",
    )
    serve.add_argument(
        "--credential",
        action="append",
        default=[],
        metavar="VENDOR:KEY_ID:SECRET",
        help="a test credential for --auth verify (repeatable), e.g. pai:LTAI-test:secret",
    )
    serve.add_argument(
        "--credentials-file",
        type=Path,
        metavar="FILE",
        help="test credentials from a file, one VENDOR:KEY_ID:SECRET a line ('#' starts a "
        "comment), or YAML 'credentials: [{vendor, key_id, secret}, ...]'; also "
        f"${CREDENTIALS_VARIABLE} (whitespace-separated); both keep secrets out of 'ps'",
    )
    serve.add_argument(
        "--rate-limit",
        action="append",
        default=[],
        type=_rate_limit,
        metavar="VENDOR=N/s",
        help="a token bucket per credential (or client address): N requests a second "
        "(0.001 to 1,000,000), bursts of N; over it the vendor's 429 (repeatable), e.g. pai=5/s",
    )
    serve.add_argument(
        "--lifecycle",
        type=_timing,
        default=Settings.lifecycle,
        metavar="MODE",
        help="when resources leave passing states (a deployment's PENDING): immediate (the "
        "next read), reads:N (after N reads), seconds:S (of the mock's clock, see POST "
        "/_mock/clock) or manual (POST /_mock/transitions) (default: %(default)s)",
    )
    _control_plane_options(serve)
    serve.add_argument(
        "--head-timeout",
        type=_seconds,
        metavar="SECONDS",
        help="close a connection that has not sent a complete request head within this "
        "time (default: 15)",
    )
    serve.add_argument(
        "--log-level", choices=LOG_LEVELS, default="info", help="log level (default: %(default)s)"
    )

    check = commands.add_parser(
        "check",
        help="validate fixture files against the schemas",
        description="Validate fixture files; print each problem as "
        "'file: record: json-path: message'. Exit 1 on any problem.",
    )
    check.add_argument(
        "dir",
        nargs="?",
        type=Path,
        metavar="DIR",
        help="fixtures folder (default: the bundled fixtures)",
    )

    commands.add_parser(
        "openapi",
        help="print the OpenAPI 3.1 document",
        description="Print the OpenAPI 3.1 document of every emulated endpoint (JSON).",
    )
    routes = commands.add_parser(
        "routes",
        help="print the route table",
        description="Print method, path, vendor and operation of every route.",
    )
    routes.add_argument(
        "--sources",
        action="store_true",
        help="under each route, where its parameters and response come from "
        "(doc page, SDK or docs/decisions.md entry)",
    )
    drift = commands.add_parser(
        "drift",
        help="compare saved doc pages with the mock's schemas and parameters",
        description="Read saved copies of a vendor's doc pages (the HTML page, or the text "
        "a browser's 'save as text' gives), extract their parameter and field tables and "
        "compare them with the mock: fields added, removed, renamed, retyped, new enum "
        "values, changed ranges and defaults, new error codes. One line per difference, "
        "naming the doc field and the schema path. Exit 1 when anything differs.",
    )
    drift.add_argument("--vendor", required=True, metavar="VENDOR", help="pai, huawei, ...")
    drift.add_argument("pages", nargs="+", type=Path, metavar="PAGE", help="a saved doc page")
    return parser


# --- control-plane protection and credentials (docs/decisions.md, mockserver/guard.py) ---

ADMIN_TOKEN_VARIABLE = "MOCKSERVER_ADMIN_TOKEN"
CREDENTIALS_VARIABLE = "MOCKSERVER_CREDENTIALS"


def _control_plane_options(serve: argparse.ArgumentParser) -> None:
    serve.add_argument(
        "--allowed-host",
        action="append",
        default=[],
        metavar="NAME",
        help="a host name the control plane (/_mock/) answers besides IP addresses, "
        "localhost and --host (repeatable); vendor paths answer any host",
    )
    serve.add_argument(
        "--admin-token",
        metavar="TOKEN",
        help="require 'Authorization: Bearer TOKEN' on every /_mock/ write "
        f"(default: ${ADMIN_TOKEN_VARIABLE}, which keeps it out of 'ps')",
    )


def _environment_credentials() -> tuple[Credential, ...]:
    """Credentials from $MOCKSERVER_CREDENTIALS: VENDOR:KEY_ID:SECRET, whitespace-separated."""
    return credentials(os.environ.get(CREDENTIALS_VARIABLE, "").split())


def _admin_token(args: argparse.Namespace) -> str | None:
    token: str | None = args.admin_token or os.environ.get(ADMIN_TOKEN_VARIABLE) or None
    return token


def _warn_if_exposed(settings: Settings) -> None:
    """Loudly: off loopback, anyone who can reach the port can use the control plane."""
    from mockserver.guard import is_loopback

    if is_loopback(settings.host):
        return
    protection = (
        "control-plane writes need the admin token"
        if settings.admin_token
        else f"anyone can reset data, add records and inject faults; set --admin-token or "
        f"${ADMIN_TOKEN_VARIABLE}"
    )
    log.warning(
        "WARNING: bound to %s, not loopback: every machine that can reach this port can "
        "call the mock and read its journal at /_mock/requests; %s.",
        settings.host,
        protection,
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    handler = {
        "serve": _serve,
        "check": _check,
        "routes": _routes,
        "openapi": _openapi,
        "drift": _drift,
    }[args.command]
    try:
        return handler(args)
    except KeyboardInterrupt:  # Ctrl+C before uvicorn took over the signal, or elsewhere
        if args.command == "serve":
            log.info("mockserver stopped")
            return 0
        return 130
    except BrokenPipeError:  # `mockserver openapi | head`: the reader has had enough
        _silence_stdout()
        return 1 if args.command == "check" else 0


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's last flush of what is still
    buffered for the closed pipe does not print a BrokenPipeError at exit."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def _check(args: argparse.Namespace) -> int:
    from mockserver.app import load_fixtures
    from mockserver.core.schemas import Schemas

    folder = args.dir or data_dir("fixtures")
    try:
        # every record through jsonschema: no memo of earlier runs (see ValidMemo)
        schemas = Schemas(data_dir("schemas"))
        dataset = load_fixtures(Settings(fixtures=folder), schemas=schemas)
    except FixtureError as exc:
        for problem in exc.problems:
            print(problem)
        print(f"{len(exc.problems)} problem(s) in {folder}", file=sys.stderr)
        return 1
    print(f"ok: {folder}: {_describe(dataset)}")
    return 0


def _routes(args: argparse.Namespace) -> int:
    from mockserver.vendors import VENDORS

    rows = [("METHOD", "PATH", "VENDOR", "OPERATION")]
    rows += [(op.method, op.path, v.name, op.name) for v in VENDORS for op in v.operations]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    sources = _route_sources() if args.sources else {}
    for row in rows:
        print(
            "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False)) + "  " + row[3]
        )
        for line in sources.get((row[2], row[3]), ()):
            print(f"    {line}")
    return 0


def _route_sources() -> dict[tuple[str, str], list[str]]:
    """(vendor, operation) -> one line per parameter and response schema: its source."""
    from mockserver.core.provenance import read
    from mockserver.core.schemas import bundled
    from mockserver.vendors import VENDORS

    documents = bundled().documents
    found: dict[tuple[str, str], list[str]] = {}
    for vendor in VENDORS:
        for op in vendor.operations:
            lines = []
            for param in op.params:
                origin = param.origin()
                cited = origin.cite() if origin else "NO SOURCE"
                lines.append(f"{param.location} {param.name}: {cited}")
            for label, schema in (
                ("request body", op.request_schema),
                ("response", op.response_schema),
            ):
                if schema:
                    root = read(documents.get(schema, {}))
                    cited = root.cite() if root else "NO SOURCE"
                    lines.append(f"{label} {schema}.json: {cited}")
            found[(vendor.name, op.name)] = lines
    return found


def _drift(args: argparse.Namespace) -> int:
    from mockserver.core.schemas import bundled
    from mockserver.drift import drift
    from mockserver.vendors import VENDORS

    vendor = next((v for v in VENDORS if v.name == args.vendor), None)
    if vendor is None:
        names = ", ".join(v.name for v in VENDORS)
        print(f"mockserver drift: unknown vendor {args.vendor!r}; known: {names}", file=sys.stderr)
        return 2
    missing = [str(p) for p in args.pages if not p.is_file()]
    if missing:
        print(f"mockserver drift: no such file: {', '.join(missing)}", file=sys.stderr)
        return 2
    lines = drift(vendor, args.pages, bundled().documents)
    for line in lines:
        print(line)
    pages = len(args.pages)
    if lines:
        print(f"{len(lines)} difference(s) in {pages} page(s)", file=sys.stderr)
        return 1
    print(f"ok: {pages} page(s) of {vendor.name} agree with the mock")
    return 0


def _openapi(args: argparse.Namespace) -> int:
    import json

    from mockserver.core.schemas import bundled
    from mockserver.openapi import document
    from mockserver.vendors import VENDORS

    print(json.dumps(document(VENDORS, bundled()), indent=2, ensure_ascii=False))
    return 0


def _describe(dataset: dict[str, dict[str, list[Any]]]) -> str:
    return "; ".join(
        f"{vendor}: " + ", ".join(f"{len(records)} {name}" for name, records in cols.items())
        for vendor, cols in dataset.items()
    )


def _serve(args: argparse.Namespace) -> int:
    from mockserver.app import check_auth

    try:
        keys = credentials(args.credential) + _environment_credentials()
        if args.credentials_file is not None:
            keys += load_credentials(args.credentials_file)
        settings = Settings(
            host=args.host,
            port=args.port,
            fixtures=args.fixtures,
            log_level=args.log_level,
            seed=args.seed,
            generate=args.generate,
            workers=args.workers,
            journal_size=args.journal_size,
            auth=args.auth,
            credentials=keys,
            rate_limits=tuple(rate_limits(args.rate_limit).items()),
            lifecycle=args.lifecycle,
            allowed_hosts=tuple(args.allowed_host),
            admin_token=_admin_token(args),
            state_dir=args.state_dir,
        )
        check_auth(settings)
        _check_state_dir(settings)
        # bound before the data loads: a busy port is reported at once, not after it
        listener = _listen(settings.host, settings.port)
    except (OSError, ValueError) as exc:
        print(f"mockserver serve: error: {exc}", file=sys.stderr)
        return 2
    with listener:
        return _serve_on(args, settings, listener)


def _check_state_dir(settings: Settings) -> None:
    """A --state-dir the server can use, or a one-line ValueError (exit 2): a folder that
    holds a saved state, an empty one, or one to make. Another folder is not replaced."""
    from mockserver.core.state import has_state, recover

    folder = settings.state_dir
    if folder is None:
        return
    if settings.workers != 1:
        raise ValueError("--state-dir needs --workers 1: each worker holds its own records")
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"--state-dir {folder} is a file, not a folder")
    recover(folder)
    if folder.is_dir() and not has_state(folder) and any(folder.iterdir()):
        raise ValueError(
            f"--state-dir {folder} holds files but no saved state (mockserver-state.yaml): "
            "it would be replaced on the first save; give an empty or new folder"
        )


def _save_state(app: Any, folder: Path) -> bool:
    """The records saved to `folder` at shutdown; False (logged) if they could not be."""
    from mockserver.core.state import save_dir

    try:
        save_dir(app.store.dataset(), folder)
    except OSError as exc:
        log.error("could not save the state to %s: %s", folder, exc)
        return False
    log.info("state saved to %s", folder)
    return True


def _listen(host: str, port: int) -> socket.socket:
    """The listening socket, or a one-line ValueError saying what to do instead."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family, backlog=2048)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise ValueError(
                f"{host}:{port} is already in use (is another mockserver running?); "
                "choose another port with --port (--port 0 takes any free one)"
            ) from None
        reason = exc.strerror or str(exc)
        raise ValueError(f"cannot listen on {host}:{port}: {reason}") from None


def _serve_on(args: argparse.Namespace, settings: Settings, listener: socket.socket) -> int:
    """Load the data and serve it on `listener` until Ctrl+C or SIGTERM."""
    import gc
    import logging.config

    import uvicorn

    from mockserver.app import create_app, load_data
    from mockserver.server import Server, log_config

    logging.config.dictConfig(log_config(settings.log_level))
    _warn_if_exposed(settings)
    try:
        # with workers, the parent only checks the fixtures: each worker generates its own
        checked = settings if settings.workers == 1 else replace(settings, generate=0)
        dataset = load_data(checked, progress=lambda message: log.info("%s", message))
    except FixtureError as exc:
        for problem in exc.problems:
            log.error("%s", problem)
        log.error("not starting: %d problem(s) in %s", len(exc.problems), _source(settings))
        return 2
    for vendor, cols in dataset.items():
        counts = ", ".join(f"{len(records)} {name}" for name, records in cols.items())
        log.info("loaded %s: %s", vendor, counts)
    log.info("%s from %s", _source_kind(settings), _source(settings))
    if settings.auth != "off":
        vendors = sorted({c.vendor for c in settings.credentials})
        log.info("auth %s; test credentials for: %s", settings.auth, ", ".join(vendors) or "-")
    if settings.workers > 1:
        _serve_workers(settings, listener, args)
        log.info("mockserver stopped")
        return 0
    try:
        app = create_app(settings, dataset=dataset)
    except ValueError as exc:
        print(f"mockserver serve: error: {exc}", file=sys.stderr)
        return 2
    gc.freeze()  # the loaded data lives as long as the process: keep it out of collections
    config = uvicorn.Config(
        app,
        log_config=log_config(settings.log_level),
        **_options(args),
    )
    server = Server(config)
    server.run(sockets=[listener])
    if not server.started:
        return 2
    saved = settings.state_dir is None or _save_state(app, settings.state_dir)
    log.info("mockserver stopped")
    return 0 if saved else 1


def _source_kind(settings: Settings) -> str:
    return "fixtures" if _source(settings) == settings.fixtures_dir else "state"


def _source(settings: Settings) -> Path:
    """Where the records at start come from: the saved state, else the fixtures."""
    from mockserver.core.state import has_state

    if settings.state_dir is not None and has_state(settings.state_dir):
        return settings.state_dir
    return settings.fixtures_dir


def _options(args: argparse.Namespace) -> dict[str, Any]:
    """uvicorn's options for `serve`, the head timeout only where one was given."""
    from mockserver.server import options

    given = {"head_timeout": args.head_timeout} if args.head_timeout is not None else {}
    return options(args.log_level, **given)


def _serve_workers(settings: Settings, listener: socket.socket, args: argparse.Namespace) -> None:
    """N uvicorn worker processes, each building the same data from the same settings;
    each exits when this process does, even if it is killed (see worker_app)."""
    import uvicorn

    from mockserver.app import SETTINGS_VARIABLE
    from mockserver.pages import welcome
    from mockserver.server import log_config

    os.environ[SETTINGS_VARIABLE] = settings.to_json()
    # Bound by the caller, so the URL (port 0 included) is known before the workers start.
    host, port = listener.getsockname()[:2]
    log.info(
        "mockserver listening on http://%s:%d with %d worker processes (control-plane "
        "writes are refused; each worker keeps its own journal)",
        host,
        port,
        settings.workers,
    )
    log.info("%s", welcome(f"http://{host}:{port}"))
    uvicorn.run(
        "mockserver.server:worker_app",
        factory=True,
        fd=listener.fileno(),
        workers=settings.workers,
        log_config=log_config(settings.log_level),
        **_options(args),
    )
