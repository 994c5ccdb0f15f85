"""A member's client for the GovPlatform exchange, written outside the platform with the `http-message-signatures`
library (RFC 9421), `httpx` and `cryptography` alone.

It signs a query with the member's Ed25519 key, checks the gateway's signature on the answer (over the
request's own signature too), then waits for the answer's receipt and checks it offline: the entry's leaf hash,
the inclusion proof (RFC 9162 section 2.1.3.2) and the checkpoint's signature (c2sp.org/signed-note) with the
log's public key. Run against `make run`'s demo:

    python docs/examples/exchange_client.py http://localhost:8000 var/demo-council-exchange.pem KEY_ID \\
        AGREEMENT_ID driving-licence:RESID804195D99AB registration,make,colour

(`govplatform demo` prints the key id and agreement id.) It prints one JSON object and exits 0 when the answer
and its receipt check out.
"""

import base64
import datetime
import hashlib
import json
import secrets
import sys
import time

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from http_message_signatures import HTTPMessageSigner, HTTPMessageVerifier, MappingKeyResolver, algorithms

PURPOSE = "resident-parking-permits"


class Request:
    """What the library reads of a request."""

    def __init__(self, method, url, headers):
        self.method, self.url, self.headers = method, url, headers


class Response:
    """What the library reads of a response; `request` lets it check the `req` components."""

    def __init__(self, status_code, headers, request):
        self.status_code, self.headers, self.request = status_code, headers, request


def b64url(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def ask(base, key, key_id, agreement, subject, fields):
    scheme, _, value = subject.partition(":")
    body = json.dumps({"agreement_id": agreement, "purpose": PURPOSE, "subject": {"scheme": scheme, "value": value},
                       "fields": fields.split(",")}).encode()
    request = Request("POST", base + "/api/exchange/v1/queries", {"Content-Type": "application/json"})
    signer = HTTPMessageSigner(signature_algorithm=algorithms.ED25519,
                               key_resolver=MappingKeyResolver(public_keys={}, private_keys={key_id: key}))
    signer.sign(request, key_id=key_id, label="sig1", nonce=secrets.token_urlsafe(24), body=body,
                covered_component_ids=("@method", "@target-uri", "content-digest", "content-type"))
    answer = httpx.post(request.url, content=body, headers=request.headers)
    directory = httpx.get(base + "/exchange/directory").json()
    gateway = {k["kid"]: Ed25519PublicKey.from_public_bytes(b64url(k["x"])) for k in directory["gateway"]["keys"]}
    verifier = HTTPMessageVerifier(signature_algorithm=algorithms.ED25519,
                                   key_resolver=MappingKeyResolver(public_keys=gateway, private_keys={}))
    verifier.verify(Response(answer.status_code, answer.headers, request),
                    body=answer.content, max_age=datetime.timedelta(seconds=60),
                    require_components=("@status", "content-digest", "content-type", '"signature";req;key="sig1"'))
    return answer.status_code, answer.json()


def node(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def root_from_proof(index, size, leaf, proof):
    """RFC 9162 section 2.1.3.2: the root an inclusion proof leads to."""
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise ValueError("the proof is longer than the tree")
        if fn % 2 == 1 or fn == sn:
            r = node(p, r)
            while fn % 2 == 0 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ValueError("the proof is shorter than the tree")
    return r


def check_receipt(text, verifier_key):
    """Check a c2sp.org/tlog-proof@v1 receipt whose extra line is the entry; returns the entry and the size."""
    head, _, note = text.partition("\n\n")
    lines = head.split("\n")
    assert lines[0] == "c2sp.org/tlog-proof@v1" and lines[1].startswith("extra ") and lines[2].startswith("index ")
    entry, index = base64.b64decode(lines[1][6:]), int(lines[2][6:])
    proof = [base64.b64decode(line) for line in lines[3:]]
    body, _, signatures = note.rpartition("\n\n")
    body += "\n"
    origin, size, root = body.split("\n")[:3]
    name, key_hash, key = verifier_key.split("+", 2)  # the base64 key may itself hold a +
    public = Ed25519PublicKey.from_public_bytes(base64.b64decode(key)[1:])
    signed = False
    for line in signatures.strip("\n").split("\n"):
        signer, blob = line.removeprefix("— ").split(" ")
        raw = base64.b64decode(blob)
        if signer == name and raw[:4].hex() == key_hash:
            public.verify(raw[4:], body.encode())  # raises InvalidSignature if it does not check out
            signed = True
    assert signed and origin == name, "the checkpoint is not signed by the log's key"
    leaf = hashlib.sha256(b"\x00" + entry).digest()
    assert root_from_proof(index, int(size), leaf, proof) == base64.b64decode(root), "the proof does not lead to the root"
    return entry, int(size)


def main(base, key_file, key_id, agreement, subject, fields):
    key = load_pem_private_key(open(key_file, "rb").read(), password=None)
    status, answer = ask(base.rstrip("/"), key, key_id, agreement, subject, fields)
    if status != 200:
        print(json.dumps({"status": status, **answer}))
        return 1
    verifier_key = httpx.get(base.rstrip("/") + "/transparency/key").text.strip().split("\n")[0]
    for _ in range(60):
        receipt = httpx.get(answer["receipt_url"])
        if receipt.status_code == 200:
            break
        time.sleep(1)
    entry, size = check_receipt(receipt.text, verifier_key)
    if hashlib.sha256(b"\x00" + entry).hexdigest() != answer["leaf_hash"]:
        print(json.dumps({"status": status, "error": "the receipt proves another entry than the answer's"}))
        return 1
    print(json.dumps({"status": status, "data": answer["data"], "leaf_hash": answer["leaf_hash"],
                      "entry": json.loads(entry), "checkpoint_size": size}))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:7]))
