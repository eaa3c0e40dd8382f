"""The OpenAPI 3.1 document, built from what the server already uses.

Paths and methods come from the vendors' operations, parameters from their `Param`
specs, bodies from the JSON Schemas in `schemas/` (bundled as components, their file
references rewritten to component references), and the error statuses from each
vendor's own tables. Nothing here is kept by hand beside the code.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from mockserver._version import __version__
from mockserver.core.params import Param
from mockserver.core.schemas import Schemas
from mockserver.core.vendor import Operation, Vendor

STATUS_TEXT = {
    400: "Bad request",
    401: "Authentication failed",
    403: "Forbidden",
    404: "Not found",
    408: "Request timeout",
    409: "Already exists",
    422: "Validation error",
    426: "Upgrade required",
    429: "Rate limited",
    500: "Internal error",
    502: "Bad gateway",
    503: "Service unavailable",
    504: "Gateway timeout",
}


def component(name: str) -> str:
    """`pai/version` -> `pai.version` (component names allow letters, digits, . - _)."""
    return name.replace("/", ".")


def _rewrite(node: Any, vendor: str, own: str) -> Any:
    """A schema with its file references turned into component references."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key in ("$id", "$schema"):
                continue
            if key == "$ref" and isinstance(value, str):
                target, _, fragment = value.partition("#")
                name = own if not target else f"{vendor}/{target.removesuffix('.json')}"
                out[key] = f"#/components/schemas/{component(name)}{fragment}"
            else:
                out[key] = _rewrite(value, vendor, own)
        return out
    if isinstance(node, list):
        return [_rewrite(item, vendor, own) for item in node]
    return node


def _schema_of(param: Param) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "integer" if param.kind == "int" else "string"}
    if param.kind == "enum":
        schema["enum"] = list(param.choices)
    for key, value in (
        ("minimum", param.minimum),
        ("maximum", param.maximum),
        ("default", param.default),
        ("minLength", param.min_length),
        ("maxLength", param.max_length),
    ):
        if value is not None:
            schema[key] = value
    if param.pattern:
        schema["pattern"] = f"^(?:{param.pattern})$"
    if param.blank_is_absent and param.location == "query":
        # `?name=` counts as not given (docs/decisions.md), so a blank value is valid too
        default = schema.pop("default", None)
        schema = {"anyOf": [schema, {"const": ""}]}
        if default is not None:
            schema["default"] = default
    return schema


def _parameter(param: Param) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": param.name,
        "in": param.location,
        "required": param.location == "path",
        "schema": _schema_of(param),
    }
    if param.repeated:  # `versions=a&versions=b`: minimum/maximum count the values
        item = {k: v for k, v in out["schema"].items() if k not in ("minimum", "maximum")}
        array: dict[str, Any] = {"type": "array", "items": item, "uniqueItems": True}
        if param.minimum:
            array["minItems"] = param.minimum
            out["required"] = True
        if param.maximum is not None:
            array["maxItems"] = param.maximum
        out.update(schema=array, style="form", explode=True)
    if param.description:
        out["description"] = param.description
    if param.example is not None:
        out["example"] = list(param.example) if param.repeated else param.example
    origin = param.origin()
    if origin is not None:
        out["x-source"] = origin.as_json()  # where the docs say so (core.provenance)
    return out


def _json(schema: str, description: str) -> dict[str, Any]:
    ref = {"$ref": f"#/components/schemas/{component(schema)}"}
    return {"description": description, "content": {"application/json": {"schema": ref}}}


def error_statuses(vendor: Vendor) -> list[int]:
    """Every error status an operation of this vendor can answer."""
    statuses = set(vendor.statuses) | {vendor.param_error_status, 404}
    if vendor.authenticate is not None:
        statuses.add(401)
    return sorted(statuses)


def _operation(vendor: Vendor, op: Operation) -> dict[str, Any]:
    responses = {str(op.status): _json(op.response_schema, "Success")}
    for status in sorted({*error_statuses(vendor), *op.errors}):
        text = STATUS_TEXT.get(status, "Error")
        responses[str(status)] = _json(vendor.error_schema, f"{text}, in {vendor.title}'s envelope")
    out: dict[str, Any] = {
        "operationId": f"{vendor.name}.{op.name}",
        "tags": [vendor.title],
        "summary": op.summary or op.name,
        "parameters": [_parameter(p) for p in op.params],
        "responses": responses,
    }
    if op.request_schema:
        body = _json(op.request_schema, "The request body")
        out["requestBody"] = {"required": True, "content": body["content"]}
    if vendor.security:
        # auth is off unless the server runs with --auth: no credential is also fine
        out["security"] = [{}, *({name: []} for name in vendor.security)]
    return out


def document(vendors: Sequence[Vendor], schemas: Schemas) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for vendor in vendors:
        for op in vendor.operations:
            paths.setdefault(op.path, {})[op.method.lower()] = _operation(vendor, op)
    components = {
        component(name): _rewrite(doc, name.split("/")[0], name)
        for name, doc in sorted(schemas.documents.items())
    }
    security = {name: dict(s) for v in vendors for name, s in v.security.items()}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "mockserver",
            "version": __version__,
            "description": "A local mock of documented ML-platform APIs: "
            + "; ".join(v.title for v in vendors)
            + ". Each endpoint is at the vendor's real path and answers errors in the "
            "vendor's own envelope. Control plane under /_mock/.",
        },
        "servers": [{"url": "/", "description": "this mock"}],
        "tags": [{"name": v.title} for v in vendors],
        "paths": paths,
        "components": {"schemas": components, "securitySchemes": security},
    }


def example_url(op: Operation) -> str:
    """The operation's path with its path parameters' examples filled in, and the query
    parameters that carry an example (a repeated one: the key once per value)."""
    examples = {p.name: str(p.example) for p in op.params if p.location == "path"}
    path = re.sub(r"\{(\w+)\}", lambda m: examples.get(m.group(1), m.group(0)), op.path)
    query = [
        f"{p.name}={value}"
        for p in op.params
        if p.location == "query" and p.example is not None
        for value in (p.example if p.repeated else (p.example,))
    ]
    return path + ("?" + "&".join(query) if query else "")
