"""Alibaba Cloud PAI, AIWorkSpace 2021-02-04: GetModel and ListModelVersions.

Docs: https://www.alibabacloud.com/help/en/pai/developer-reference/api-aiworkspace-2021-02-04-getmodel
and .../api-aiworkspace-2021-02-04-listmodelversions (seeds 001 and 000).
Where the docs are silent we follow docs/decisions.md (section "Alibaba PAI").
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from starlette.requests import Request
from starlette.responses import Response

from mockserver.core import listing
from mockserver.core.auth import (
    NONCE_MAX_LENGTH,
    AuthConfig,
    canonical_headers,
    canonical_query,
    encode,
    hmac_sha256_hex,
    same,
    sha256_hex,
)
from mockserver.core.auth import now as auth_now
from mockserver.core.errors import ApiError, clip, from_table
from mockserver.core.fixtures import Collection, Link, Record
from mockserver.core.generate import utc_text
from mockserver.core.jsonbytes import Bodies, JSONBytes, Raw, RawCache, dumps, prepend
from mockserver.core.params import Param, ParamError, parse_query
from mockserver.core.vendor import Operation, Vendor, backend, reached_operation, request_id

NAME = "pai"

# --- 1. errors -------------------------------------------------------------------------

STATUS_CODES: dict[int, tuple[str, str]] = {
    400: ("InvalidParameter", "The specified parameter is not valid."),
    403: ("Forbidden.RAM", "User not authorized to operate on the specified resource."),
    404: (
        "InvalidAction.NotFound",
        "Specified api is not found, please check your url and method.",
    ),
    429: ("Throttling.User", "Request was denied due to user flow control."),
    500: ("InternalError", "The request processing has failed due to some unknown error."),
    503: ("ServiceUnavailable", "The request has failed due to a temporary failure of the server."),
}


class Error(ApiError):
    """Alibaba Cloud's ROA error body: {RequestId, HostId, Code, Message, Recommend}."""

    def body(self, request: Request) -> dict[str, Any]:
        rid = request_id(request, "UUID")
        return {
            "RequestId": rid,
            "HostId": request.headers.get("host", "aiworkspace.aliyuncs.com"),
            "Code": self.code,
            "Message": self.message,
            "Recommend": (
                f"https://api.alibabacloud.com/troubleshoot?q={self.code}"
                f"&product=AIWorkSpace&requestId={rid}"
            ),
        }

    def response_headers(self, request: Request) -> dict[str, str]:
        return {**self.headers, "x-acs-request-id": request_id(request, "UUID")}


def error_for_status(request: Request, status: int) -> Error:
    if status == 404 and reached_operation(request):
        return model_not_found(request.path_params.get("ModelId", ""))
    if status == 405:
        # Alibaba's gateway finds an API by method and path together: a wrong method is
        # the same "api not found" 404 as a wrong path.
        status = 404
    return Error(*from_table(STATUS_CODES, status))


def model_not_found(model_id: str) -> Error:
    return Error(404, "ModelNotFound", f"The specified model {clip(model_id)} does not exist.")


def param_error(request: Request, exc: ParamError) -> Error:
    name = exc.param.name
    if exc.reason == "repeated":
        return Error(
            400, "InvalidParameter", f"Specified parameter {name} is given more than once."
        )
    return Error(
        400,
        "InvalidParameter",
        f"Specified parameter {name} is not valid: {exc.shown}. It must be {exc.param.allowed()}.",
    )


# --- 2. data ---------------------------------------------------------------------------

START_OF_VERSIONS = datetime(2022, 1, 1, tzinfo=UTC)
FORMAT_TYPES = (
    "OfflineModel",
    "SavedModel",
    "Keras H5",
    "Frozen Pb",
    "Caffe Prototxt",
    "TorchScript",
    "XGBoost",
    "PMML",
    "AlinkModel",
    "ONNX",
)
FRAMEWORK_TYPES = ("Pytorch", "XGBoost", "Keras", "Caffe", "Alink", "Xflow", "TensorFlow")


MODEL_FIELDS = (
    "ModelId",
    "ModelName",
    "ModelDescription",
    "GmtCreateTime",
    "GmtModifiedTime",
    "UserId",
    "OwnerId",
    "Origin",
    "Provider",
    "Domain",
    "Task",
    "ModelDoc",
    "Labels",
    "WorkspaceId",
    "Accessibility",
    "LatestVersion",
    "ModelType",
    "ExtraInfo",
    "OrderNumber",
    "ParameterSize",
    "GmtLatestVersionModifiedTime",
)


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _check_times(record: Record) -> Iterable[tuple[str, str]]:
    if _time(record["GmtModifiedTime"]) < _time(record["GmtCreateTime"]):
        yield "$.GmtModifiedTime", "must not be earlier than GmtCreateTime"


def _check_options(record: Record) -> Iterable[tuple[str, str]]:
    if "Options" in record:
        try:
            json.loads(record["Options"])
        except ValueError as exc:
            yield "$.Options", f"must be a JSON document as text: {exc}"


def _check_label_bytes(record: Record) -> Iterable[tuple[str, str]]:
    for i, label in enumerate(record.get("Labels", [])):
        for part in ("Key", "Value"):
            if len(label[part].encode()) > 128:
                yield f"$.Labels[{i}].{part}", "must be at most 128 bytes"


COLLECTIONS = (
    Collection(
        "models",
        "pai/model.record",
        key=("ModelId",),
        checks=(_check_times, _check_label_bytes),
        derived=("LatestVersion", "GmtLatestVersionModifiedTime"),
    ),
    Collection(
        "versions",
        "pai/version.record",
        key=("ModelId", "VersionName"),
        link=Link("ModelId", "models", "ModelId"),
        checks=(_check_times, _check_options, _check_label_bytes),
    ),
)
VERSIONS = COLLECTIONS[1]


@dataclass
class Backend:
    """Models and their versions, changed in place one record at a time.

    Each change updates exactly what depends on it (the model's version list and its
    filter indexes) and starts a new answer cache, so nothing can drift from the data.
    """

    models: dict[str, Record]
    versions: dict[str, list[Record]]  # by ModelId, oldest first (the default order)
    raw: RawCache = field(default_factory=RawCache)
    bodies: Bodies = field(default_factory=Bodies)  # whole answers, by operation and request
    # ModelId -> field -> {value: versions}, made on first use from the data alone: an
    # entry per value the data holds, none for the values clients ask about. By model
    # first, so a write to one model touches that model's lists only.
    index: dict[str, dict[str, dict[str, list[Record]]]] = field(default_factory=dict)
    # the same lists newest first, equal times in fixture order (docs/decisions.md), which
    # a reversed list would turn round: made on first use, then kept up to date
    newest_first: dict[str, list[Record]] = field(default_factory=dict)  # by ModelId
    index_desc: dict[str, dict[str, dict[str, list[Record]]]] = field(default_factory=dict)

    def add(self, collection: str, record: Record) -> None:
        """One record more, as if it had been the last one of the fixtures."""
        if collection == "models":
            self.models[record["ModelId"]] = record
            self.versions[record["ModelId"]] = []
        else:
            model_id, version = record["ModelId"], _with_defaults(VERSIONS.public(record))
            listing.insert_ordered(self.versions[model_id], version, _created, False)
            if model_id in self.newest_first:
                listing.insert_ordered(self.newest_first[model_id], version, _created, True)
            for name, by_value in self.index.get(model_id, {}).items():
                value = version.get(name)
                if isinstance(value, str):
                    found = by_value.setdefault(value, [])
                    listing.insert_ordered(found, version, _created, False)
            for name, by_value in self.index_desc.get(model_id, {}).items():
                value = version.get(name)
                if isinstance(value, str) and value in by_value:
                    listing.insert_ordered(by_value[value], version, _created, True)
        self.bodies = Bodies()

    def remove(self, collection: str, record: Record) -> None:
        """One record less (a model only once its versions are gone)."""
        if collection == "models":
            model_id = record["ModelId"]
            if self.versions[model_id]:
                raise ValueError(f"model {model_id} still has versions")
            del self.versions[model_id]
            self.newest_first.pop(model_id, None)
            self.raw.forget(self.models.pop(model_id))
            self.index.pop(model_id, None)
            self.index_desc.pop(model_id, None)
        else:
            model_id, probe = record["ModelId"], VERSIONS.public(record)
            versions = self.versions[model_id]
            held = versions.pop(listing.locate(versions, probe, _created, False, _same_version))
            if model_id in self.newest_first:
                newest = self.newest_first[model_id]
                del newest[listing.locate(newest, held, _created, True)]
            for descending, index in ((False, self.index), (True, self.index_desc)):
                for name, by_value in index.get(model_id, {}).items():
                    value = held.get(name)
                    if isinstance(value, str) and value in by_value:
                        found = by_value[value]
                        del found[listing.locate(found, held, _created, descending)]
                        if not found:  # one entry per value the data holds, no more
                            del by_value[value]
            self.raw.forget(held)
        self.bodies = Bodies()

    def model(self, model_id: str) -> Record:
        if model_id not in self.models:
            raise model_not_found(model_id)
        return self.models[model_id]

    def get_model_body(self, model_id: str) -> Raw:
        """GetModel's body without RequestId, serialised once per model."""
        return self.bodies(("GetModel", model_id), lambda: Raw.of(self.get_model(model_id)))

    def get_model(self, model_id: str) -> Record:
        model = dict(self.model(model_id))
        versions = self.versions[model_id]
        if versions:
            model["LatestVersion"] = versions[-1]
            model["GmtLatestVersionModifiedTime"] = versions[-1]["GmtModifiedTime"]
        return {k: model[k] for k in MODEL_FIELDS if k in model}

    def versions_page(self, model_id: str, query: bytes) -> Raw:
        """ListModelVersions' body without RequestId (kept in `bodies` by request)."""
        page = self.list_versions(model_id, parse_query(query, LIST_PARAMS))
        return Raw(dumps({"Versions": [self.raw(v) for v in page.items], "TotalCount": page.total}))

    def list_versions(self, model_id: str, q: Mapping[str, Any]) -> listing.Page[Record]:
        self.model(model_id)
        exact = [(f, q[f]) for f in EXACT_FILTERS if q[f] is not None]
        descending = q["Order"] == "DESC"
        found: Sequence[Record] = (
            self._descending(model_id) if descending else self.versions[model_id]
        )
        if exact:  # start from the index of the first exact filter, in stored order
            field_name, value = exact.pop(0)
            found = (
                self._indexed_desc(model_id, field_name, value)
                if descending
                else self._indexed(model_id, field_name, value)
            )
        if exact or q["Label"] is not None:
            found = listing.where(
                found, *(_equals(f, v) for f, v in exact), _label_contains(q["Label"])
            )
        return listing.by_page(found, q["PageNumber"], q["PageSize"])

    def _descending(self, model_id: str) -> list[Record]:
        """Newest first with equal times in fixture order (docs/decisions.md), which a
        reversed oldest-first list would turn round; made once per model."""
        if model_id not in self.newest_first:
            self.newest_first[model_id] = listing.ordered(self.versions[model_id], _created, True)
        return self.newest_first[model_id]

    def _indexed_desc(self, model_id: str, field_name: str, value: str) -> list[Record]:
        """`_indexed`, newest first: sorted once per value the data holds, then kept."""
        by_value = self.index_desc.setdefault(model_id, {}).setdefault(field_name, {})
        if value not in by_value:
            found = self._indexed(model_id, field_name, value)
            if not found:
                return []  # nothing kept for a value the data does not hold
            by_value[value] = listing.ordered(found, _created, True)
        return by_value[value]

    def _indexed(self, model_id: str, field_name: str, value: str) -> list[Record]:
        by_field = self.index.setdefault(model_id, {})
        by_value = by_field.get(field_name)
        if by_value is None:
            by_value = by_field[field_name] = {}
            for version in self.versions[model_id]:
                found = version.get(field_name)
                if isinstance(found, str):
                    by_value.setdefault(found, []).append(version)
        return by_value.get(value, [])


EXACT_FILTERS = (
    "VersionName",
    "FormatType",
    "FrameworkType",
    "SourceType",
    "SourceId",
    "ApprovalStatus",
)


def _equals(field: str, wanted: str | None) -> Any:
    return None if wanted is None else (lambda v: v.get(field) == wanted)


def _label_contains(text: str | None) -> Any:
    if text is None:
        return None
    return lambda v: any(text in lb["Key"] or text in lb["Value"] for lb in v.get("Labels", []))


def _created(version: Record) -> datetime:
    return _time(version["GmtCreateTime"])


def _same_version(held: Record, probe: Record) -> bool:
    return bool(held["VersionName"] == probe["VersionName"])


def build(records: Mapping[str, Sequence[Record]]) -> Backend:
    models = {m["ModelId"]: m for m in records.get("models", [])}
    versions: dict[str, list[Record]] = {model_id: [] for model_id in models}
    for version in records.get("versions", []):
        versions[version["ModelId"]].append(_with_defaults(VERSIONS.public(version)))
    for items in versions.values():
        # newest last; ties keep their fixture order, in both directions of the list
        items.sort(key=_created)
    return Backend(models, versions)


def _with_defaults(version: Record) -> Record:
    """The version as served: `SourceType` is documented to default to Custom, so a version
    stored without it is served (and filtered) as Custom."""
    if "SourceType" in version:
        return version
    return {**version, "SourceType": "Custom"}


def generate(records: dict[str, list[Record]], n: int, pools: Any) -> Iterator[tuple[str, Record]]:
    """n models, then n versions of the first generated one (`model-generated`)."""
    workspace = records["models"][0]["WorkspaceId"] if records.get("models") else "1000"
    for i in range(n):
        created = pools.moment()
        labels = [
            {"Key": pools.pick(pools.words), "Value": pools.pick(pools.words)}
            for _ in range(pools.number(0, 3))
        ]
        yield (
            "models",
            {
                "ModelId": "model-generated" if i == 0 else f"model-{pools.alnum(16)}",
                "ModelName": f"{pools.slug()}-{i}",
                "ModelDescription": pools.pick(pools.sentences),
                "GmtCreateTime": utc_text(created),
                "GmtModifiedTime": utc_text(pools.later(created)),
                "UserId": pools.digits(16),
                "OwnerId": pools.digits(16),
                "Origin": pools.pick(("ModelScope", "HuggingFace")),
                "Provider": "pai",
                "Domain": pools.pick(("nlp", "cv", "audio", "tabular", "multimodal")),
                "Task": pools.pick(
                    (
                        "text-classification",
                        "text-generation",
                        "image-classification",
                        "automatic-speech-recognition",
                        "tabular-regression",
                    )
                ),
                "Labels": labels,
                "WorkspaceId": workspace,
                "Accessibility": pools.pick(("PRIVATE", "PUBLIC")),
                "ModelType": pools.pick(("Checkpoint", "LoRA")),
                "OrderNumber": i + 1,
                "ParameterSize": pools.number(1, 200_000),
            },
        )
    for i, moment in enumerate(pools.series(START_OF_VERSIONS, n)):
        source = pools.pick(("Custom", "PAIFlow", "TrainingService"))
        version: Record = {
            "ModelId": "model-generated",
            "VersionName": f"{i // 1_000_000}.{i // 1000 % 1000}.{i % 1000}",
            "GmtCreateTime": utc_text(moment),
            "GmtModifiedTime": utc_text(pools.later(moment, 30)),
            "UserId": pools.digits(16),
            "OwnerId": pools.digits(16),
            "Uri": f"oss://{pools.slug()}.oss-cn-hangzhou.aliyuncs.com/models/{i}/",
            "VersionDescription": pools.pick(pools.sentences),
            "FormatType": pools.pick(FORMAT_TYPES),
            "FrameworkType": pools.pick(FRAMEWORK_TYPES),
            "Options": "{}",
            "SourceType": source,
            "ApprovalStatus": pools.pick(("Pending", "Approved", "Rejected")),
            "Labels": [{"Key": pools.pick(pools.words), "Value": pools.pick(pools.words)}],
        }
        if source != "Custom":
            kind = "PipelineRun" if source == "PAIFlow" else "ServiceJob"
            version["SourceId"] = (
                f"region=cn-hangzhou,workspaceId={workspace},kind={kind},id=run-{pools.alnum(10)}"
            )
        yield "versions", version


# --- 3. handlers -----------------------------------------------------------------------

MODEL_ID = Param(
    "ModelId", location="path", description="The model ID.", example="model-rbvg5wzljz****ks92"
)
LIST_PARAMS = (
    Param(
        "PageNumber",
        "int",
        default=1,
        minimum=1,
        maximum=2**31 - 1,
        description="Page number, from 1.",
    ),
    Param("PageSize", "int", default=10, minimum=1, maximum=100, description="Entries per page."),
    Param("Order", "enum", default="ASC", choices=("ASC", "DESC"), description="Sort order."),
    Param(
        "SortBy",
        "enum",
        default="GmtCreateTime",
        choices=("GmtCreateTime",),
        description="Sort field.",
    ),
    Param("VersionName", description="Exact version name."),
    Param(
        "FormatType",
        "enum",
        choices=FORMAT_TYPES,
    ),
    Param(
        "FrameworkType",
        "enum",
        choices=("Pytorch", "XGBoost", "Keras", "Caffe", "Alink", "Xflow", "TensorFlow"),
    ),
    Param("SourceType", "enum", choices=("Custom", "PAIFlow", "TrainingService")),
    Param("SourceId", description="Exact source id."),
    Param("Label", description="Substring of a label's key or value."),
    Param("ApprovalStatus", "enum", choices=("Pending", "Approved", "Rejected")),
)


async def get_model(request: Request) -> Response:
    body = backend(request, NAME).get_model_body(request.path_params["ModelId"])
    rid = request_id(request, "UUID")
    return JSONBytes(prepend("RequestId", rid, body), headers={"x-acs-request-id": rid})


async def list_model_versions(request: Request) -> Response:
    store: Backend = backend(request, NAME)
    model_id, query = request.path_params["ModelId"], request.scope["query_string"]
    body = store.bodies(
        ("ListModelVersions", model_id, query), lambda: store.versions_page(model_id, query)
    )
    rid = request_id(request, "UUID")
    return JSONBytes(prepend("RequestId", rid, body), headers={"x-acs-request-id": rid})


# --- 3b. credentials (auth check / verify) --------------------------------------------

API_VERSION = "2021-02-04"
ACS3 = re.compile(
    r"^ACS3-HMAC-SHA256 Credential=(?P<key>[^,\s]+),SignedHeaders=(?P<signed>[a-z0-9;-]+),"
    r"Signature=(?P<signature>[0-9a-f]{64})$"
)
LEGACY = re.compile(r"^acs (?P<key>[^:\s]+):(?P<signature>\S+)$")
ACS_DATE = "%Y-%m-%dT%H:%M:%SZ"
MUST_SIGN = ("host", "x-acs-action", "x-acs-version", "x-acs-date")
NONCE = "x-acs-signature-nonce"  # required by signature V3 (and V1): no replay without it


def _auth_error(status: int, code: str, message: str) -> Error:
    return Error(status, code, message)


async def authenticate(request: Request, config: AuthConfig, operation: str) -> None:
    """ROA request signing: presence and form (check), then the signature itself (verify).

    Signature V3: https://www.alibabacloud.com/help/en/sdk/product-overview/v3-request-structure-and-signature
    """
    headers = request.headers
    value = headers.get("authorization")
    if not value:
        raise _auth_error(401, "MissingAuthorization", "The Authorization header is missing.")
    match = ACS3.match(value) or LEGACY.match(value)
    if match is None:
        raise _auth_error(
            401,
            "IncompleteSignature",
            "The request signature does not conform "
            "to Aliyun standards: Authorization is neither 'ACS3-HMAC-SHA256 "
            "Credential=...,SignedHeaders=...,Signature=...' nor 'acs AK:signature'.",
        )
    for name in ("x-acs-action", "x-acs-version", "x-acs-date", NONCE):
        if not headers.get(name):
            raise _auth_error(401, "IncompleteSignature", f"The header {name} is missing.")
    if len(headers[NONCE]) > NONCE_MAX_LENGTH:
        raise _auth_error(
            401,
            "IncompleteSignature",
            f"The header {NONCE} must be at most {NONCE_MAX_LENGTH} characters.",
        )
    if headers["x-acs-action"] != operation or headers["x-acs-version"] != API_VERSION:
        raise _auth_error(
            401,
            "IncompleteSignature",
            f"x-acs-action and x-acs-version must be {operation} and {API_VERSION} for this path.",
        )
    try:
        signed_at = datetime.strptime(headers["x-acs-date"], ACS_DATE).replace(tzinfo=UTC)
    except ValueError:
        raise _auth_error(
            401, "IncompleteSignature", "x-acs-date must be a UTC time like 2021-01-21T17:12:35Z."
        ) from None
    if config.mode == "verify":
        await _verify(request, config, match, signed_at)


async def _verify(
    request: Request, config: AuthConfig, match: re.Match[str], signed_at: datetime
) -> None:
    headers = request.headers
    if match.re is LEGACY:
        raise _auth_error(
            400,
            "IncompleteSignature",
            "Only ACS3-HMAC-SHA256 signatures are "
            "verified by this mock; sign requests with signature version 3.",
        )
    secret = config.secret(NAME, match["key"])
    if secret is None:
        raise _auth_error(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
    moment = auth_now()
    if abs(moment - signed_at) > config.skew:
        raise _auth_error(
            400, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired."
        )
    signed = match["signed"].split(";")
    unsigned = [
        h
        for h in (*MUST_SIGN, *[k for k in headers if k.startswith("x-acs-")])
        if h not in signed and h in headers
    ]
    if unsigned or signed != sorted(signed):
        raise _auth_error(
            400,
            "IncompleteSignature",
            "SignedHeaders must list, sorted, host and "
            f"every x-acs-* header; not signed: {', '.join(unsigned) or '-'}.",
        )
    body = await request.body()
    payload = sha256_hex(body)
    if headers.get("x-acs-content-sha256", payload) != payload:
        raise _auth_error(
            400,
            "SignatureDoesNotMatch",
            "x-acs-content-sha256 is not the SHA-256 of the request body.",
        )
    canonical = "\n".join(
        [
            request.method,
            # per segment: an id's encoded slash (routed as part of the id) stays %2F
            "/".join(encode(unquote(part)) for part in request.url.path.split("/")),
            canonical_query(request.query_params.multi_items()),
            canonical_headers(headers, signed),
            ";".join(signed),
            payload,
        ]
    )
    string_to_sign = f"ACS3-HMAC-SHA256\n{sha256_hex(canonical.encode())}"
    if not same(hmac_sha256_hex(secret, string_to_sign), match["signature"]):
        raise _auth_error(
            400,
            "SignatureDoesNotMatch",
            "Specified signature is not matched with "
            f"our calculation. server string to sign is:{string_to_sign}",
        )
    _first_use(config, headers[NONCE], moment)


def _first_use(config: AuthConfig, nonce: str, moment: datetime) -> None:
    """Refuse a nonce seen within the window; when the store is full, refuse new ones
    (429, retry once the oldest expires) rather than forget any and accept a replay."""
    outcome = config.nonces.use(f"{NAME}:{nonce}", moment)
    if outcome == "used":
        raise _auth_error(400, "SignatureNonceUsed", "Specified signature nonce was used already.")
    if outcome == "full":
        wait = max(1, math.ceil(config.nonces.retry_after(moment)))
        error = _auth_error(
            429,
            "Throttling.User",
            f"Request was denied due to user flow control: the mock keeps at most "
            f"{config.nonces.max_entries} signature nonces from the last "
            f"{int(config.skew.total_seconds() // 60)} minutes. Retry after {wait} s.",
        )
        error.headers.update({"Retry-After": str(wait), "x-acs-retry-after": str(wait * 1000)})
        raise error


# --- 4. routes -------------------------------------------------------------------------

VENDOR = Vendor(
    name=NAME,
    title="Alibaba Cloud PAI (AIWorkSpace 2021-02-04)",
    prefixes=("/api/v1/models",),
    operations=(
        Operation(
            "GET",
            "/api/v1/models/{ModelId}",
            "GetModel",
            get_model,
            summary="Gets the details of a model.",
            params=(MODEL_ID,),
            response_schema="pai/get_model.response",
        ),
        Operation(
            "GET",
            "/api/v1/models/{ModelId}/versions",
            "ListModelVersions",
            list_model_versions,
            summary="Lists the versions of a model.",
            params=(MODEL_ID, *LIST_PARAMS),
            response_schema="pai/list_model_versions.response",
        ),
    ),
    collections=COLLECTIONS,
    build=build,
    error=error_for_status,
    param_error=param_error,
    error_schema="pai/error",
    authenticate=authenticate,
    statuses=tuple(STATUS_CODES),
    retry_after_header="x-acs-retry-after",
    generate=generate,
    security={
        "pai_signature": {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "ACS3-HMAC-SHA256 Credential=<AccessKeyId>,SignedHeaders=..,"
            "Signature=.. with x-acs-action, x-acs-version and x-acs-date (auth check/verify)",
        }
    },
)
