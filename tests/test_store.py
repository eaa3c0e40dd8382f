"""The store changes backends one record at a time: the answers must be exactly those of a
backend rebuilt from the same records (no drift), after adds, removes and a reset."""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import threading
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from starlette.testclient import TestClient

from mockserver import MockServer, Settings, create_app
from mockserver.app import load_data
from mockserver.core.fixtures import Dataset, FixtureError
from mockserver.core.store import Change
from mockserver.vendors import VENDORS

N = 30
COLLECTIONS = {v.name: v.collections for v in VENDORS}
REQUEST_IDS = ("RequestId", "request_id")
# resources move only when told: a read must not change what the next one answers
STILL = Settings(lifecycle="manual")


def split(full: Dataset, k: int = 6) -> tuple[Dataset, Dataset]:
    """(base, extra): the last k records of each collection, and their children, held back.

    A collection of few records (workspaces, organisations) is kept whole.
    """
    base: Dataset = {}
    extra: Dataset = {}
    for vendor, collections in COLLECTIONS.items():
        base[vendor], extra[vendor] = {}, {}
        for collection in collections:
            held = full[vendor][collection.name]
            link = collection.link
            gone = {p[link.target] for p in extra[vendor][link.collection]} if link else set()
            orphans = [r for r in held if link and link.reference(r) in gone]
            rest = [r for r in held if not any(r is o for o in orphans)]
            last = rest[-k:] if len(rest) > 2 * k else []
            removed = [r for r in held if any(r is x for x in (*orphans, *last))]
            base[vendor][collection.name] = [r for r in held if not any(r is x for x in removed)]
            extra[vendor][collection.name] = removed
    return base, extra


def ties(records: Dataset) -> Dataset:
    """New records sorting equal to ones held, so that insertion among ties is exercised."""
    pai = [
        {**v, "VersionName": f"9.{i}.0"} for i, v in enumerate(records["pai"]["versions"][-12::3])
    ]
    huawei = [{**m, "id": f"{i:032x}"} for i, m in enumerate(records["huawei"]["models"][-12::3])]
    dreadnode = [
        {**v, "version": f"9.{i}.0", "id": f"00000000-0000-4000-8000-{i:012x}"}
        for i, v in enumerate(records["dreadnode"]["versions"][-12::3])
    ]
    dashscope = [
        {**d, "deployed_model": d["deployed_model"] + f"{'az'[i % 2]}{i}"}
        for i, d in enumerate(records["dashscope"]["deployments"][-12::3])
    ]
    return {
        "pai": {"versions": pai},
        "huawei": {"models": huawei},
        "dreadnode": {"versions": dreadnode},
        "dashscope": {"deployments": dashscope},
    }


def urls(records: Dataset) -> Iterator[tuple[str, dict[str, str]]]:
    """Many requests over every operation, built from the data itself (some unknown ids)."""
    pai = records["pai"]
    model_ids = [m["ModelId"] for m in pai["models"]][:8] + ["model-generated", "model-nope"]
    labels = [lb["Key"] for v in pai["versions"][:6] for lb in v.get("Labels", [])][:3]
    filters: list[dict[str, str]] = [
        {},
        {"Order": "DESC"},
        {"PageSize": "100"},
        {"PageNumber": "2", "PageSize": "5", "Order": "DESC"},
        {"FormatType": "ONNX"},
        {"FormatType": "SavedModel", "Order": "DESC", "PageSize": "100"},
        {"FrameworkType": "Pytorch", "SourceType": "Custom"},
        {"ApprovalStatus": "Approved", "PageSize": "50"},
        {"ApprovalStatus": "Pending", "Order": "DESC", "PageSize": "100"},
        {"ApprovalStatus": "Rejected", "FormatType": "ONNX", "Order": "DESC"},
        {"VersionName": pai["versions"][-1]["VersionName"]},
        *({"Label": label} for label in labels),
    ]
    for model_id in model_ids:
        yield f"/api/v1/models/{model_id}", {}
        for version in pai["versions"][:40:6]:
            yield f"/api/v1/models/{model_id}/versions/{version['VersionName']}", {}
        for query in filters:
            yield (
                f"/api/v1/models/{model_id}/versions?"
                + "&".join(f"{k}={v}" for k, v in query.items()),
                {},
            )
    for query in ("", "?Order=DESC&PageSize=100", "?PageNumber=2&PageSize=7", "?Label=a&Query=E"):
        yield f"/api/v1/models{query}", {}
    huawei = [w["id"] for w in records["huawei"]["workspaces"]] + ["nowhere"]
    sorts = itertools.product(("CREATE_TIME", "UPDATE_TIME", "NAME"), ("ASC", "DESC"))
    for (sort_by, order_by), workspace in itertools.product(sorts, huawei):
        for visibility in ("", "PRIVATE", "PUBLIC", "ALL"):
            base = f"/v1/workspaces/{workspace}/models?sort_by={sort_by}&order_by={order_by}"
            yield f"{base}&visibility={visibility}&limit=100", {}
            yield f"{base}&visibility={visibility}&name=a&offset=3&limit=7", {}
    for model in records["huawei"]["models"][::3]:
        base = f"/v1/workspaces/{model['workspace_id']}/models/{model['id']}/versions"
        yield f"{base}?limit=100", {}
        yield f"{base}?offset=1&limit=1", {}
    yield "/v1/base-models?limit=100", {}
    for workspace in records["huawei"]["workspaces"]:
        yield f"/v1/workspaces/{workspace['id']}/endpoints?limit=100&visibility=ALL", {}
    for endpoint in records["huawei"]["endpoints"][::4]:
        yield f"/v1/workspaces/{endpoint['workspace_id']}/endpoints/{endpoint['id']}", {}
    for model in records["dreadnode"]["models"]:
        org, name = model["name"].split("/", 1)
        yield f"/api/v1/org/{org}/models/{name}/versions", {}
        yield f"/api/v1/org/{org}/models/{name}", {}
    yield "/api/v1/org/nobody/models/x/versions", {}
    dn_versions = records["dreadnode"]["versions"]
    for version in dn_versions[:3] + dn_versions[-3:]:
        org, name = version["name"].split("/", 1)
        yield f"/api/v1/org/{org}/models/{name}/{version['version']}", {}
    for org in [o["slug"] for o in records["dreadnode"]["orgs"]]:
        for query in (
            "",
            "?sort_by=name&sort_dir=asc&limit=3&page=2",
            "?sort_by=updated_at&include_public=true",
            "?sort_by=download_count&sort_dir=asc&framework=pytorch&framework=onnx",
        ):
            yield f"/api/v1/org/{org}/models{query}", {}
        yield f"/api/v1/org/{org}/models/facets?include_public=true", {}
    for workspace in [None, *(w["id"] for w in records["dashscope"]["workspaces"]), "nope"]:
        headers = {"X-DashScope-WorkSpace": workspace} if workspace else {}
        for query in ("", "?page_size=200", "?page_no=2&page_size=7"):
            yield f"/api/v1/deployments{query}", headers
    for query in ("", "?page_size=3", "?page_no=2&page_size=3"):
        yield f"/api/v1/deployments/models{query}", {}
    for deployment in records["dashscope"]["deployments"][:3]:
        yield f"/api/v1/deployments/{deployment['deployed_model']}", {}


def answers(client: TestClient, records: Dataset) -> list[tuple[str, int, Any]]:
    """Every request's status and body, request ids left out (each request has its own)."""
    found = []
    for url, headers in urls(records):
        response = client.get(url, headers=headers)
        body = response.json()
        for name in REQUEST_IDS:
            body.pop(name, None)
        if "Recommend" in body:
            body["Recommend"] = body["Recommend"].split("requestId=")[0]
        found.append((url + json.dumps(headers), response.status_code, body))
    return found


def fresh_answers(records: Dataset, asked: Dataset) -> list[tuple[str, int, Any]]:
    """The answers of a backend built from `records` at start (requests from `asked`)."""
    with TestClient(create_app(STILL, dataset=copy.deepcopy(records))) as client:
        return answers(client, asked)


def add_all(client: TestClient, extra: Dataset) -> None:
    for vendor, collections in extra.items():
        for name, records in collections.items():
            for start in range(0, len(records), 4):
                batch = records[start : start + 4]
                response = client.post(f"/_mock/data/{vendor}/{name}", json=batch)
                assert response.status_code == 201, response.text


def held(client: TestClient) -> Dataset:
    return copy.deepcopy(client.app.store.dataset())  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def full() -> Dataset:
    return load_data(Settings(generate=N, seed=4))


def test_adds_answer_exactly_as_a_rebuild(full: Dataset) -> None:
    base, extra = split(full)
    assert all(extra[v][c] for v in ("pai", "huawei") for c in ("models",))
    with TestClient(create_app(STILL, dataset=copy.deepcopy(base))) as client:
        before = answers(client, full)  # makes orderings, views, indexes, cached answers
        add_all(client, extra)
        after_adds = answers(client, full)
        assert after_adds != before
        assert after_adds == fresh_answers(held(client), full)
        tied = ties(held(client))
        add_all(client, tied)
        asked = held(client)
        assert answers(client, asked) == fresh_answers(held(client), asked)


def test_reset_undoes_every_add_exactly(full: Dataset) -> None:
    base, extra = split(full)
    loaded = fresh_answers(base, full)
    with TestClient(create_app(STILL, dataset=copy.deepcopy(base))) as client:
        answers(client, full)
        add_all(client, extra)
        add_all(client, ties(held(client)))
        answers(client, full)
        assert client.post("/_mock/reset").status_code == 200
        assert held(client) == base
        assert answers(client, full) == loaded
        # the kept keys went back too: what was added can be added again
        add_all(client, extra)
        assert answers(client, full) == fresh_answers(held(client), full)


@pytest.mark.parametrize("vendor", sorted(COLLECTIONS))
def test_removing_loaded_records_answers_as_a_rebuild(full: Dataset, vendor: str) -> None:
    """remove() also takes out records that were loaded (what deletes will need)."""
    leaf = COLLECTIONS[vendor][-1].name
    with TestClient(create_app(STILL, dataset=copy.deepcopy(full))) as client:
        answers(client, full)
        store = client.app.store  # type: ignore[attr-defined]
        records = store.listing(vendor, leaf)
        picked = [records[0], records[len(records) // 2], records[-1]]
        store.apply(vendor, [Change(leaf, old=record) for record in picked])
        assert len(store.listing(vendor, leaf)) == len(records) - 3
        assert answers(client, full) == fresh_answers(held(client), full)


@pytest.mark.parametrize("vendor", sorted(COLLECTIONS))
def test_replacing_and_deleting_then_reset_answers_as_loaded(full: Dataset, vendor: str) -> None:
    """Replacements and deletes answer as a rebuild; a reset gives back the loaded state,
    in the loaded order, ties included."""
    leaf = COLLECTIONS[vendor][-1].name
    loaded = fresh_answers(full, full)
    with TestClient(create_app(STILL, dataset=copy.deepcopy(full))) as client:
        answers(client, full)
        store = client.app.store  # type: ignore[attr-defined]
        records = store.listing(vendor, leaf)
        store.apply(vendor, [Change(leaf, old=records[0]), Change(leaf, old=records[-1])])
        middle = records[len(records) // 2]
        store.apply(vendor, [Change(leaf, old=middle, new=copy.deepcopy(middle))])
        assert answers(client, full) == fresh_answers(held(client), full)
        assert client.post("/_mock/reset").status_code == 200
        assert held(client) == full
        assert answers(client, full) == loaded


def test_dreadnode_writes_answer_as_a_rebuild_and_reset_undoes_them(full: Dataset) -> None:
    """Pushes, alias moves, metrics, visibility, downloads and deletes (the model goes with
    its last version) through the API: then a rebuild from the records held answers the
    same, and a reset gives back the loaded answers."""
    loaded = fresh_answers(full, full)
    base = "/api/v1/org/example/models/example"
    with TestClient(create_app(STILL, dataset=copy.deepcopy(full))) as client:
        answers(client, full)
        push(client, "example/pushed", "1.0.0", {"aliases": ["champion"], "task": "t"})
        push(client, "example/pushed", "1.1.0", {"aliases": ["champion"]})
        ok = [
            client.post(f"{base}/1.0.0/aliases", json={"alias": "stable"}),  # moves from 1.1.0
            client.put(f"{base}/1.0.1/metrics", json={"acc": 0.5}),
            client.put(f"{base}/1.0.1/metrics", json={"f1": "high"}),
            client.patch(f"{base}/visibility", json={"is_public": True}),
            client.post(f"{base}/1.2.0/download"),
            client.delete(f"{base}/1.1.0/aliases/latest"),
            client.delete(f"{base}/1.0.1"),
            client.delete("/api/v1/org/example/models/llama-3.1-8b-guard/0.1.0"),
            client.delete("/api/v1/org/example/models/llama-3.1-8b-guard/0.2.0"),
        ]
        assert [r.status_code for r in ok] == [200] * len(ok), [r.text for r in ok]
        asked = held(client)
        assert all(m["name"] != "example/llama-3.1-8b-guard" for m in asked["dreadnode"]["models"])
        assert answers(client, full) == fresh_answers(asked, full)
        assert answers(client, asked) == fresh_answers(asked, asked)
        assert client.post("/_mock/reset").status_code == 200
        assert held(client) == full
        assert answers(client, full) == loaded


def push(client: TestClient, canonical: str, version: str, manifest: dict[str, Any]) -> None:
    """What the SDK's OCI push sends: the config blob (the model manifest), then the
    manifest naming it."""
    config = json.dumps(manifest, sort_keys=True).encode()
    digest = "sha256:" + hashlib.sha256(config).hexdigest()
    started = client.post(f"/api/v1/{canonical}/blobs/uploads/")
    assert started.status_code == 202, started.text
    put = client.put(f"{started.headers['location']}?digest={digest}", content=config)
    assert put.status_code == 201, put.text
    oci = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.dreadnode.config.v1+json",
            "digest": digest,
            "size": len(config),
        },
        "layers": [],
        "annotations": {
            "io.dreadnode.type": "model",
            "io.dreadnode.name": canonical,
            "io.dreadnode.version": version,
        },
    }
    done = client.put(f"/api/v1/{canonical}/manifests/{version}", content=json.dumps(oci))
    assert done.status_code == 201, done.text


def test_a_change_set_is_all_or_nothing(full: Dataset) -> None:
    with TestClient(create_app(STILL, dataset=copy.deepcopy(full))) as client:
        store = client.app.store  # type: ignore[attr-defined]
        before = held(client)
        models = store.listing("pai", "models")
        bad = {**models[1], "ModelId": "model-new", "ModelName": 5}
        with pytest.raises(FixtureError, match=r"\$\.ModelName"):
            store.apply(
                "pai",
                [
                    Change("models", new={**models[1], "ModelId": "model-ok"}),
                    Change("models", new=bad),
                ],
            )
        assert held(client) == before
        # a replacement keeps its key (the old record leaves in the same change set)
        versions = store.listing("pai", "versions")
        renamed = {**versions[1], "VersionDescription": "renamed"}
        store.apply("pai", [Change("versions", versions[1], renamed)])
        assert store.listing("pai", "versions")[1] == renamed


def test_a_parent_with_children_is_not_removed(full: Dataset) -> None:
    with TestClient(create_app(STILL, dataset=copy.deepcopy(full))) as client:
        store = client.app.store  # type: ignore[attr-defined]
        for vendor, collections in COLLECTIONS.items():
            parent = collections[0].name
            record = store.listing(vendor, parent)[0]
            with pytest.raises(ValueError, match="still has"):
                store.backends[vendor].remove(parent, record)


def test_a_check_made_stale_by_another_write_is_made_again(full: Dataset) -> None:
    """Adds are checked off the loop and committed on it; a write in between is seen."""
    _, extra = split(full)
    with TestClient(create_app(STILL, dataset=copy.deepcopy(full))) as client:
        store = client.app.store  # type: ignore[attr-defined]
        record = {**full["pai"]["models"][0], "ModelId": "model-twice"}
        first = store.check("pai", "models", [record], "body")
        second = store.check("pai", "models", [record], "body")
        assert store.commit(first) == 1
        with pytest.raises(FixtureError, match="duplicate ModelId 'model-twice'"):
            store.commit(second)
        assert extra  # the split is not empty


def test_a_duplicate_of_a_loaded_record_names_it_as_loaded(full: Dataset) -> None:
    with TestClient(create_app(STILL, dataset=copy.deepcopy(full))) as client:
        model = {k: v for k, v in full["pai"]["models"][0].items()}
        response = client.post("/_mock/data/pai/models", json=model)
        assert response.status_code == 400
        assert any("(already loaded)" in p for p in response.json()["problems"])
        orphan = {**full["pai"]["versions"][0], "ModelId": "model-none", "VersionName": "1.0.0"}
        response = client.post("/_mock/data/pai/versions", json=orphan)
        assert any(
            "no models record has ModelId 'model-none'" in p for p in response.json()["problems"]
        )


def test_mockserver_changes_state_on_the_server_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """Backends change in place: add() and reset() run between requests, on the loop."""
    with MockServer(seed=1) as server:
        threads: list[str] = []
        store = server.app.store
        for name in ("add", "reset"):
            method = getattr(store, name)

            def spy(*args: Any, _method: Any = method, **kwargs: Any) -> Any:
                threads.append(threading.current_thread().name)
                return _method(*args, **kwargs)

            monkeypatch.setattr(store, name, spy)
        assert server.add("dreadnode", "orgs", {"slug": "newco"}) == 1
        with pytest.raises(FixtureError, match="duplicate slug 'newco'"):
            server.add("dreadnode", "orgs", {"slug": "newco"})
        server.reset()
        assert threads == [f"mockserver:{server.port}"] * 3
        assert all(o["slug"] != "newco" for o in server.data()["dreadnode"]["orgs"])


def test_dashscope_states_and_the_catalogue_change_as_a_rebuild(full: Dataset) -> None:
    """What the lifecycle and the writes do (a deployment replaced with a new state, a
    catalogue model replaced and deleted) answers as a rebuild, and a reset as loaded."""
    loaded = fresh_answers(full, full)
    with TestClient(create_app(STILL, dataset=copy.deepcopy(full))) as client:
        store = client.app.store  # type: ignore[attr-defined]
        deployments = store.listing("dashscope", "deployments")
        models = store.listing("dashscope", "models")
        moved = [
            Change("deployments", old=d, new={**d, "status": "DELETING"})
            for d in deployments[:: max(1, len(deployments) // 5)]
        ]
        store.apply("dashscope", moved)
        store.apply(
            "dashscope",
            [
                Change("models", old=models[1], new={**models[1], "base_capacity": 7}),
                Change("models", old=models[-1]),
            ],
        )
        assert answers(client, full) == fresh_answers(held(client), full)
        assert client.post("/_mock/reset").status_code == 200
        assert answers(client, full) == loaded


def huawei_writes(client: TestClient, records: Dataset) -> None:
    """The twin's writes over HTTP, at a time some models were made at (ties in every
    ordering): creates, renames, new and switched versions, deletes, cleanups."""
    mine = [
        m
        for m in records["huawei"]["models"]
        if m["workspace_id"] == "default"
        and m["create_user"]["user_id"] == "0b5633ba2b904511ad514346f4d23d4b"
    ]
    tied = datetime.fromisoformat(mine[-1]["create_time"]).timestamp()
    clock = client.app.clock  # type: ignore[attr-defined]
    clock.freeze()
    clock.set(tied)
    # endpoints settle as they are read (DashScope's deployments are not read meanwhile)
    assert client.post("/_mock/transitions", json={"timing": "reads:1"}).status_code == 200
    url = "/v1/workspaces/default/models"
    created = []
    for i in range(4):
        body = {"name": f"twin-{i}", "type": "LLM_MODEL", "version": {"name": "v1"}}
        response = client.post(url, json=body)
        assert response.status_code == 200, response.text
        created.append(response.json()["id"])
    with_versions = {v["model_id"] for v in records["huawei"]["versions"]}
    switched = next(m for m in mine if m["id"] in with_versions)
    earlier = next(v for v in records["huawei"]["versions"] if v["model_id"] == switched["id"])
    steps = [
        ("PUT", f"{url}/{mine[0]['id']}", {"name": "renamed", "version": {"name": "v-new"}}),
        ("PUT", f"{url}/{created[1]}", {"version": {"name": "v2"}}),
        ("PUT", f"{url}/{switched['id']}", {"current_version_id": earlier["id"]}),
        ("DELETE", f"{url}/{created[1]}/versions/{created[1]}", None),  # unknown: 404
        ("DELETE", f"{url}/{mine[1]['id']}", None),
        ("DELETE", f"{url}/{created[2]}", None),
    ]
    serving = [e for e in records["huawei"]["endpoints"] if e["cap"]["cap_id"] == mine[1]["id"]]
    served = {"cap_id": created[0], "version_id": client.get(f"{url}?id={created[0]}").json()}
    served["version_id"] = served["version_id"]["models"][0]["current_version"]["id"]
    endpoints = "/v1/workspaces/default/endpoints"
    made = client.post(endpoints, json={"name": "twin-serving", "cap": served})
    assert made.status_code == 200, made.text
    steps[4:4] = [("DELETE", f"{endpoints}/{e['id']}", None) for e in serving]
    for method, path, body in steps:
        response = client.request(method, path, json=body)
        assert response.status_code in (200, 202, 404), response.text
        for endpoint in (*serving, made.json()):  # read until settled (reads:1, 2 reads)
            for _ in range(2):
                client.get(f"{endpoints}/{endpoint['id']}")
    clock.reset()
    assert client.post("/_mock/transitions", json={"timing": "manual"}).status_code == 200


def test_huawei_writes_answer_as_a_rebuild_and_a_reset_as_loaded(full: Dataset) -> None:
    loaded = fresh_answers(full, full)
    with TestClient(create_app(STILL, dataset=copy.deepcopy(full))) as client:
        answers(client, full)  # orderings, views and answers made before the writes
        huawei_writes(client, full)
        asked = held(client)
        assert len(asked["huawei"]["models"]) == len(full["huawei"]["models"]) + 2
        assert answers(client, asked) == fresh_answers(held(client), asked)
        assert client.post("/_mock/reset").status_code == 200
        assert held(client) == full
        assert answers(client, full) == loaded


def pai_writes(client: TestClient) -> None:
    """Updates (an indexed field among equal times included), label changes, deletes,
    creates and a cascade, through the PAI API."""
    store = client.app.store  # type: ignore[attr-defined]
    versions = [v for v in store.listing("pai", "versions") if v["ModelId"] == "model-generated"]
    statuses = ("Approved", "Pending", "Rejected")
    for i, version in enumerate(versions[::3]):
        path = f"/api/v1/models/model-generated/versions/{version['VersionName']}"
        assert client.put(path, json={"ApprovalStatus": statuses[i % 3]}).status_code == 200
        labels = {"Labels": [{"Key": "week", "Value": f"w{i}"}]}
        assert client.post(f"{path}/labels", json=labels).status_code == 200
        if i % 4 == 1:
            assert client.delete(f"{path}/labels", params={"LabelKeys": "week"}).status_code == 200
    for version in versions[1::7]:
        path = f"/api/v1/models/model-generated/versions/{version['VersionName']}"
        assert client.delete(path).status_code == 200
    for model in store.listing("pai", "models")[1::9]:
        path = f"/api/v1/models/{model['ModelId']}"
        assert client.put(path, json={"ModelName": "renamed", "Domain": "cv"}).status_code == 200
        assert client.delete(f"{path}/labels", params={"LabelKeys": "a,b"}).status_code == 200
    created = client.post("/api/v1/models", json={"ModelName": "new", "Labels": []}).json()
    for _ in range(3):
        path = f"/api/v1/models/{created['ModelId']}/versions"
        assert client.post(path, json={"Uri": "oss://b.oss/x"}).status_code == 200
    assert client.delete("/api/v1/models/model-qwen7bchat0001").status_code == 200


def test_pai_writes_answer_as_a_rebuild_and_reset_undoes_them(full: Dataset) -> None:
    with TestClient(create_app(STILL, dataset=copy.deepcopy(full))) as client:
        add_all(client, ties(held(client)))
        loaded = held(client)
        asked = copy.deepcopy(loaded)
        before = answers(client, asked)  # orderings, views and indexes made, then changed
        client.app.clock.freeze()  # type: ignore[attr-defined]
        pai_writes(client)
        after = answers(client, asked)
        assert after != before
        assert after == fresh_answers(held(client), asked)
        assert client.post("/_mock/reset").status_code == 200
        assert held(client) == full
        assert answers(client, full) == fresh_answers(full, full)
