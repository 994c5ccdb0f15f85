"""The log over HTTP: checkpoint, keys, tiles, proofs, entries, receipts, the public page, bad input."""

import base64
import gzip

import httpx
import pytest

from govplatform.core.platform import Platform
from govplatform.transparency import merkle
from govplatform.transparency.checkpoint import open_checkpoint
from govplatform.transparency.note import VerifierKey
from govplatform.transparency.receipt import verify_receipt
from govplatform.transparency.tiles import decode_entry_bundle
from tests.integration.transparency.conftest import fill


@pytest.fixture
async def filled(platform: Platform, client: httpx.AsyncClient) -> list[bytes]:
    return await fill(platform, 300)


async def keys(client: httpx.AsyncClient) -> list[VerifierKey]:
    response = await client.get("/transparency/key")
    assert response.headers["content-type"].startswith("text/plain")
    return [VerifierKey.parse(line) for line in response.text.splitlines()]


async def test_the_checkpoint_verifies_with_the_published_key(client: httpx.AsyncClient, filled, platform) -> None:
    response = await client.get("/transparency/checkpoint")
    assert response.status_code == 200 and response.headers["content-type"] == "text/plain; charset=utf-8"
    origin = platform.settings.resolved_transparency_origin
    checkpoint = open_checkpoint(response.text, await keys(client), origin)
    assert checkpoint.size == 300
    assert checkpoint.root_hash == merkle.InMemoryTree([merkle.leaf_hash(e) for e in filled]).root()


async def test_tiles_and_bundles_are_served_per_tlog_tiles(client: httpx.AsyncClient, filled) -> None:
    full = await client.get("/transparency/tile/0/000")
    assert full.status_code == 200 and len(full.content) == 256 * 32
    assert "immutable" in full.headers["cache-control"]
    partial = await client.get("/transparency/tile/0/001.p/44")
    assert partial.status_code == 200 and len(partial.content) == 44 * 32
    assert "immutable" not in partial.headers["cache-control"]
    level1 = await client.get("/transparency/tile/1/000.p/1")
    assert level1.content == merkle.root_from_leaf_hashes([full.content[i : i + 32] for i in range(0, 8192, 32)])
    bundle = await client.get("/transparency/tile/entries/001.p/44", headers={"Accept-Encoding": "gzip"})
    assert bundle.status_code == 200
    assert decode_entry_bundle(bundle.content) == filled[256:300]  # httpx undoes the gzip
    raw = await client.get("/transparency/tile/entries/000", headers={"Accept-Encoding": "identity"})
    assert decode_entry_bundle(raw.content) == filled[:256]
    assert gzip.decompress(gzip.compress(raw.content)) == raw.content


@pytest.mark.parametrize(
    "path",
    ["0/1", "0/0001", "0/001.p/0", "0/001.p/256", "0/x001", "64/000", "a/000", "0/000/", "0/-01", "entries/abc"],
)
async def test_malformed_tile_paths_get_a_400(client: httpx.AsyncClient, filled, path: str) -> None:
    response = await client.get(f"/transparency/tile/{path}")
    assert response.status_code == 400, path
    assert response.json()["errors"][0]["message"]


@pytest.mark.parametrize("path", ["0/002", "0/001.p/45", "0/001", "1/000", "2/000.p/1", "entries/002"])
async def test_tiles_beyond_the_tree_get_a_404(client: httpx.AsyncClient, filled, path: str) -> None:
    response = await client.get(f"/transparency/tile/{path}")
    assert response.status_code == 404, path


async def test_inclusion_proofs_over_http_verify(client: httpx.AsyncClient, filled, platform) -> None:
    root = merkle.InMemoryTree([merkle.leaf_hash(e) for e in filled]).root()
    response = await client.get("/transparency/proof/inclusion", params={"index": 257, "size": 300})
    assert response.status_code == 200
    proof = [base64.b64decode(h) for h in response.json()["proof"]]
    merkle.verify_inclusion(257, 300, merkle.leaf_hash(filled[257]), proof, root)


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"index": 300, "size": 300}, 400),
        ({"index": 0, "size": 301}, 400),
        ({"index": -1, "size": 10}, 400),
        ({"index": "x", "size": 10}, 400),
        ({"size": 10}, 400),
        ({"index": 0, "size": 0}, 400),
        ({"index": 0, "size": 2**70}, 400),
    ],
)
async def test_bad_inclusion_requests_get_a_clear_4xx(client: httpx.AsyncClient, filled, params, status) -> None:
    response = await client.get("/transparency/proof/inclusion", params=params)
    assert response.status_code == status
    assert response.json()["errors"][0]["message"]


@pytest.mark.parametrize(("old", "new"), [(0, 10), (11, 10), (5, 301), ("a", 3)])
async def test_bad_consistency_requests_get_a_400(client: httpx.AsyncClient, filled, old, new) -> None:
    response = await client.get("/transparency/proof/consistency", params={"old": old, "new": new})
    assert response.status_code == 400
    assert "errors" in response.json()


async def test_a_receipt_downloaded_from_the_log_verifies_offline(client: httpx.AsyncClient, filled, platform) -> None:
    response = await client.get("/transparency/receipt/42")
    assert response.status_code == 200
    entry = (await client.get("/transparency/entry/42")).content
    assert entry == filled[42]
    origin = platform.settings.resolved_transparency_origin
    assert verify_receipt(entry, response.text, await keys(client), origin).size == 300
    assert (await client.get("/transparency/receipt/300")).status_code == 404
    assert (await client.get("/transparency/entry/999999")).status_code == 404
    assert (await client.get("/transparency/entry/-1")).status_code == 400


async def test_the_public_page_explains_the_log_in_english_and_welsh(client: httpx.AsyncClient, filled) -> None:
    english = await client.get("/transparency")
    assert english.status_code == 200
    assert "How we record the use of your data" in english.text and "300" in english.text
    assert "govplatform transparency verify" in english.text
    welsh = await client.get("/transparency?lang=cy")
    assert '<html lang="cy"' in welsh.text
