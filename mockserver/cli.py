"""The `mockserver` command: serve, check, routes.

`main(argv) -> int` so tests call it directly. Exit codes: 0 fine, 1 `check` found
problems, 2 bad usage or fixtures that stop the server from starting.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from mockserver._version import __version__
from mockserver.core.auth import MODES, Credential, credentials, load_credentials
from mockserver.core.faults import FaultSpecError, parse_rate_limit, rate_limits
from mockserver.core.fixtures import FixtureError
from mockserver.settings import Settings, data_dir

log = logging.getLogger("mockserver")

LOG_LEVELS = ("critical", "error", "warning", "info", "debug")


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _rate_limit(text: str) -> str:
    """The text of a valid --rate-limit, so argparse reports a bad one (exit 2)."""
    try:
        parse_rate_limit(text)
    except FaultSpecError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


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
    serve.add_argument("--port", type=int, default=8000, help="port (default: %(default)s)")
    serve.add_argument(
        "--fixtures",
        type=Path,
        metavar="DIR",
        help="fixtures folder to serve instead of the bundled data",
    )
    serve.add_argument(
        "--seed",
        type=int,
        metavar="N",
        help="seed for generated data, request ids and fault probabilities, so runs repeat",
    )
    serve.add_argument(
        "--generate",
        type=int,
        default=0,
        metavar="N",
        help="add N synthetic records per generated collection on top of the fixtures "
        "(deterministic with --seed)",
    )
    serve.add_argument(
        "--workers",
        type=_positive,
        default=1,
        metavar="N",
        help="uvicorn worker processes (default: %(default)s); with more than one, "
        "control-plane writes are refused",
    )
    serve.add_argument(
        "--journal-size",
        type=_positive,
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
    _control_plane_options(serve)
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
    commands.add_parser(
        "routes",
        help="print the route table",
        description="Print method, path, vendor and operation of every route.",
    )
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
    handler = {"serve": _serve, "check": _check, "routes": _routes, "openapi": _openapi}[
        args.command
    ]
    return handler(args)


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
    for row in rows:
        print(
            "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False)) + "  " + row[3]
        )
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
    import gc
    import logging.config

    import uvicorn

    from mockserver.app import check_auth, create_app, load_data
    from mockserver.server import Server, log_config, options

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
            allowed_hosts=tuple(args.allowed_host),
            admin_token=_admin_token(args),
        )
        check_auth(settings)
    except (OSError, ValueError) as exc:
        print(f"mockserver serve: error: {exc}", file=sys.stderr)
        return 2
    logging.config.dictConfig(log_config(settings.log_level))
    _warn_if_exposed(settings)
    try:
        # with workers, the parent only checks the fixtures: each worker generates its own
        checked = settings if settings.workers == 1 else replace(settings, generate=0)
        dataset = load_data(checked, progress=lambda message: log.info("%s", message))
    except FixtureError as exc:
        for problem in exc.problems:
            log.error("%s", problem)
        log.error("not starting: %d problem(s) in %s", len(exc.problems), settings.fixtures_dir)
        return 2
    for vendor, cols in dataset.items():
        counts = ", ".join(f"{len(records)} {name}" for name, records in cols.items())
        log.info("loaded %s: %s", vendor, counts)
    log.info("fixtures from %s", settings.fixtures_dir)
    if settings.auth != "off":
        vendors = sorted({c.vendor for c in settings.credentials})
        log.info("auth %s; test credentials for: %s", settings.auth, ", ".join(vendors) or "-")
    if settings.workers > 1:
        return _serve_workers(settings)
    try:
        app = create_app(settings, dataset=dataset)
    except ValueError as exc:
        print(f"mockserver serve: error: {exc}", file=sys.stderr)
        return 2
    gc.freeze()  # the loaded data lives as long as the process: keep it out of collections
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_config=log_config(settings.log_level),
        **options(settings.log_level),
    )
    server = Server(config)
    server.run()
    return 0 if server.started else 2


def _serve_workers(settings: Settings) -> int:
    """N uvicorn worker processes, each building the same data from the same settings."""
    import os
    import socket

    import uvicorn

    from mockserver.app import SETTINGS_VARIABLE
    from mockserver.pages import welcome
    from mockserver.server import log_config, options

    os.environ[SETTINGS_VARIABLE] = settings.to_json()
    # Bound here, so the URL (port 0 included) is known before the workers start.
    listener = socket.create_server((settings.host, settings.port))
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
        "mockserver.app:app_from_environment",
        factory=True,
        fd=listener.fileno(),
        workers=settings.workers,
        log_config=log_config(settings.log_level),
        **options(settings.log_level),
    )
    listener.close()
    return 0
