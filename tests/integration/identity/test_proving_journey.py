"""The proving journey through its pages (issue 17 item 3): a service asks for P1 or P2, the citizen signs in,
is sent on to prove their identity, chooses a route, types their details, answers the questions and is sent
back to the service with a code, `access_denied` or a return code. Each check that read a record is in the
transparency log, read back here; each outcome is counted for the success rates.

The people are the sandbox's documented test identities (docs/identity-proofing.md)."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
from sqlalchemy import select

from govplatform.core.platform import Platform
from govplatform.identity.models import ProvingOutcome
from govplatform.identity.proofing import outcomes
from govplatform.identity.proofing.checks import Claimant, FraudResult
from govplatform.transparency.models import LogEntry, PendingEntry
from tests.helpers import another_browser, csrf_from
from tests.integration.identity.support import (
    Person,
    a_citizen,
    a_client,
    authorise_query,
    code_from,
    identity_of,
    sign_in_through_pages,
    token_form,
)

VOCAB = "https://vocab.account.gov.uk/v1/"
CLAIMS = f"{VOCAB}coreIdentityJWT {VOCAB}passport {VOCAB}drivingPermit {VOCAB}address {VOCAB}returnCode".split()
ALYS = {"given-names": "Alys", "surname": "Pennant", "dob-day": "19", "dob-month": "5", "dob-year": "1984",
        "mrz-2": "5300001012GBR8405195F3406304<<<<<<<<<<<<<<<0", "address-line-1": "7 Heol y Dderwen",
        "address-town": "Llanfair", "address-postcode": "zz991ap"}  # fmt: skip
ALYS_ANSWERS = {"bank": "Riverside Bank", "loan": "£101 to £250", "phone": "2021"}
BRYN = {"given-names": "Bryn", "surname": "Howells", "dob-day": "2", "dob-month": "11", "dob-year": "1979",
        "licence-number": "HOWEL711029B99XY", "issue-number": "12", "expiry-day": "30", "expiry-month": "6",
        "expiry-year": "2034", "address-line-1": "22 Ffordd yr Harbwr", "address-town": "Aberdaron",
        "address-postcode": "ZZ99 2BH"}  # fmt: skip
ELSEWHERE = {"address-line-1": "1 Lôn y Felin", "address-town": "Llanfair", "address-postcode": "ZZ99 4DP"}
BRYN_ANSWERS = {"bank": "Coastline Bank", "loan": "Up to £100", "phone": "2019"}


async def _post(http: httpx.AsyncClient, page: str, action: str, data: dict[str, str]) -> httpx.Response:
    shown = await http.get(page)
    assert shown.status_code == 200, shown.text
    return await http.post(action, data={**data, "csrf_token": csrf_from(shown.text)})


async def _to_proving(
    platform: Platform, http: httpx.AsyncClient, person: Person, vtr: str, return_codes: bool = False
) -> Any:
    """A service asks for `vtr` (and, when `return_codes`, for return codes); the person signs in and is sent on
    to prove their identity."""
    rp = await a_client(platform, levels=["P0", "P1", "P2"], claims=CLAIMS, name="Blue badges")
    wanted = CLAIMS if return_codes else CLAIMS[:-1]
    asked = authorise_query(rp, vtr=vtr, claims=json.dumps({"userinfo": {name: None for name in wanted}}))
    signed_in = await sign_in_through_pages(http, asked, person)
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/identity/prove"
    first = await http.get("/identity/prove")
    assert first.headers["location"] == "/identity/prove/route"
    return rp, asked


async def _finish(http: httpx.AsyncClient) -> dict[str, str]:
    back = await _post(http, "/identity/prove/result", "/identity/prove/continue", {})
    assert back.status_code == 302, back.text
    return code_from(back.headers["location"])


async def _entries(platform: Platform, person: Person) -> list[dict[str, Any]]:
    log = platform.components["transparency"]
    whose = log.pseudonym(str(person.id))
    async with platform.uow() as uow:
        pending = await uow.session.scalars(select(PendingEntry.data).where(PendingEntry.subject == whose))
        logged = await uow.session.scalars(select(LogEntry.data).where(LogEntry.subject == whose))
        return [json.loads(data) for data in [*pending, *logged]]


async def test_alys_proves_p2_by_passport_and_the_service_gets_her_verified_identity(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    alys = await a_citizen(platform)
    rp, asked = await _to_proving(platform, client, alys, '["Cl.Cm.P2"]')
    chosen = await _post(client, "/identity/prove/route", "/identity/prove/route", {"route": "uk_passport"})
    assert chosen.headers["location"] == "/identity/prove/details"
    sent = await _post(client, "/identity/prove/details", "/identity/prove/details", ALYS)
    assert sent.status_code == 303 and sent.headers["location"] == "/identity/prove/questions", sent.text
    questions = await client.get("/identity/prove/questions")
    assert "Which of these banks do you have a current account with?" in questions.text
    answered = await client.post("/identity/prove/questions", data={**ALYS_ANSWERS,
                                 "csrf_token": csrf_from(questions.text)})  # fmt: skip
    assert answered.headers["location"] == "/identity/prove/result"
    result = await client.get("/identity/prove/result")
    assert "You have proved your identity" in result.text and "Continue to Blue badges" in result.text
    back = await _finish(client)
    assert back["state"] == asked["state"] and "code" in back
    assert "You proved your identity on" in (await client.get("/identity/account")).text

    audience = identity_of(platform).token_endpoint
    issued = await client.post("/token", data=token_form(rp, back["code"], audience))
    assert issued.status_code == 200, issued.text
    info = (await client.get("/userinfo", headers={"Authorization": "Bearer " + issued.json()["access_token"]})).json()
    credential = json.loads(_payload(info[VOCAB + "coreIdentityJWT"]))
    assert credential["vot"] == "P2"
    assert credential["vc"]["credentialSubject"]["birthDate"] == [{"value": "1984-05-19"}]
    assert info[VOCAB + "passport"] == [{"documentNumber": "530000101", "icaoIssuerCode": "GBR",
                                         "expiryDate": "2034-06-30"}]  # fmt: skip
    assert VOCAB + "returnCode" not in info
    # The fraud check's sources hold the address she typed as hers, so it is proved with her identity.
    assert info[VOCAB + "address"] == [{"buildingNumber": "7", "streetName": "Heol y Dderwen", "addressLocality":
                                        "Llanfair", "postalCode": "ZZ99 1AP", "addressCountry": "GB"}]  # fmt: skip

    # Three checks read a record about her: the passport's issuer, the fraud check, the knowledge check.
    entries = await _entries(platform, alys)
    assert len(entries) == 3
    assert {entry["who"]["service"]["name"] for entry in entries} == {"Parking permits"}
    assert any("passport number" in entry["what"] for entry in entries)
    assert all(entry["why"]["purpose"].startswith("Proving the identity of a person") for entry in entries)
    assert all("Alys" not in json.dumps(entry) and "530000101" not in json.dumps(entry) for entry in entries)

    # Each check's outcome and the route's are counted, first try, as passed.
    async with platform.uow() as uow:
        rows = list(await uow.session.scalars(select(ProvingOutcome).where(
            ProvingOutcome.person == outcomes.person_of(identity_of(platform), alys.id))))  # fmt: skip
    assert sorted((row.step, row.passed, row.first_try) for row in rows) == [
        ("document", True, True), ("fraud", True, True), ("knowledge", True, True), ("route", True, True)]  # fmt: skip


async def test_bryn_proves_p2_by_driving_licence_and_an_address_his_records_do_not_hold_is_not_claimed(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    bryn = await a_citizen(platform)
    rp, _ = await _to_proving(platform, client, bryn, '["Cl.Cm.P2"]')
    await _post(client, "/identity/prove/route", "/identity/prove/route", {"route": "uk_photocard_driving_licence"})
    sent = await _post(client, "/identity/prove/details", "/identity/prove/details", {**BRYN, **ELSEWHERE})
    assert sent.headers["location"] == "/identity/prove/questions", sent.text
    await _post(client, "/identity/prove/questions", "/identity/prove/questions", BRYN_ANSWERS)
    assert "You have proved your identity" in (await client.get("/identity/prove/result")).text
    back = await _finish(client)
    issued = await client.post("/token", data=token_form(rp, back["code"], identity_of(platform).token_endpoint))
    info = (await client.get("/userinfo", headers={"Authorization": "Bearer " + issued.json()["access_token"]})).json()
    assert info[VOCAB + "drivingPermit"] == [{"personalNumber": "HOWEL711029B99XY", "expiryDate": "2034-06-30",
                                              "issueNumber": "12", "issuedBy": "DVLA"}]  # fmt: skip
    assert json.loads(_payload(info[VOCAB + "coreIdentityJWT"]))["vot"] == "P2"
    assert VOCAB + "address" not in info  # typed, but not confirmed by any source


async def test_a_stolen_passport_fails_at_the_document_check_and_the_service_gets_access_denied(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    dafydd = await a_citizen(platform)
    _, asked = await _to_proving(platform, client, dafydd, '["Cl.Cm.P2"]')
    await _post(client, "/identity/prove/route", "/identity/prove/route", {"route": "uk_passport"})
    details = {"given-names": "Dafydd", "surname": "Price", "dob-day": "30", "dob-month": "1", "dob-year": "1970",
               "mrz-2": "5300003038GBR7001305M3406304<<<<<<<<<<<<<<<8", **ELSEWHERE}  # fmt: skip
    sent = await _post(client, "/identity/prove/details", "/identity/prove/details", details)
    assert sent.headers["location"] == "/identity/prove/result"
    result = await client.get("/identity/prove/result")
    assert "We could not prove your identity" in result.text
    assert "You can try again with your UK photocard driving licence." in result.text
    assert len(await _entries(platform, dafydd)) == 1  # the issuer's record was read; nothing after it
    back = await _finish(client)
    assert back == {"error": "access_denied", "error_description": "Level of confidence not reached",
                    "state": asked["state"]}  # fmt: skip


async def test_a_service_that_asked_for_return_codes_gets_one_and_no_identity(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    ffion = await a_citizen(platform)
    rp, _ = await _to_proving(platform, client, ffion, '["Cl.Cm.P2"]', return_codes=True)
    await _post(client, "/identity/prove/route", "/identity/prove/route", {"route": "uk_passport"})
    details = {"given-names": "Ffion", "surname": "Hughes", "dob-day": "4", "dob-month": "4", "dob-year": "1995",
               "mrz-2": "5300005054GBR9504040F3406304<<<<<<<<<<<<<<<6", **ELSEWHERE}  # fmt: skip
    sent = await _post(client, "/identity/prove/details", "/identity/prove/details", details)
    assert sent.headers["location"] == "/identity/prove/result"
    # Told apart from a failed check by nothing on the page: a fraud flag is never named.
    shown = (await client.get("/identity/prove/result")).text
    assert "We could not prove your identity" in shown and "from the checks we made" in shown
    back = await _finish(client)
    audience = identity_of(platform).token_endpoint
    issued = await client.post("/token", data=token_form(rp, back["code"], audience))
    assert issued.status_code == 200, issued.text
    info = (await client.get("/userinfo", headers={"Authorization": "Bearer " + issued.json()["access_token"]})).json()
    assert info[VOCAB + "returnCode"] == [{"code": "F"}]
    assert VOCAB + "coreIdentityJWT" not in info and VOCAB + "passport" not in info


async def test_someone_with_neither_document_is_told_where_to_get_help(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    person = await a_citizen(platform)
    await _to_proving(platform, client, person, '["Cl.Cm.P1"]')
    chosen = await _post(client, "/identity/prove/route", "/identity/prove/route", {"route": "none"})
    result = await client.get(chosen.headers["location"])
    assert "We cannot prove your identity online" in result.text and "/identity/prove/help" in result.text
    help_page = await another_browser(client).get("/identity/prove/help")  # anyone, signed in or not
    assert help_page.status_code == 200 and "Other ways to prove your identity" in help_page.text
    assert (await _finish(client))["error"] == "access_denied"
    assert await _entries(platform, person) == []  # nothing was checked, so no record was read


async def test_bad_details_are_refused_on_the_page_before_any_record_is_read(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    person = await a_citizen(platform)
    await _to_proving(platform, client, person, '["Cl.Cm.P2"]')
    await _post(client, "/identity/prove/route", "/identity/prove/route", {"route": "uk_passport"})
    bad = [
        ({"mrz-2": ALYS["mrz-2"][:-1] + "1"}, "check digits do not match"),
        ({"mrz-2": "not a zone"}, "44 letters, numbers and &lt; signs"),
        ({"dob-day": "20"}, "does not match the one in your passport"),
        ({"dob-month": "13"}, "must be a real date"),
        ({"surname": "Pen<nant"}, "only letters, spaces, hyphens and apostrophes"),
        ({"given-names": ""}, "Enter your first names"),
        ({"address-postcode": "ZZ99"}, "Enter a real postcode"),
        ({"address-line-1": " "}, "Enter the building and street of your address"),
        ({"address-town": "x" * 101}, "100 characters or fewer"),
        ({"mrz-2": "5300001012GBR8405195F2006305<<<<<<<<<<<<<<<2"}, "This document has expired"),
    ]
    for change, message in bad:
        refused = await _post(client, "/identity/prove/details", "/identity/prove/details", {**ALYS, **change})
        assert refused.status_code == 400, (change, refused.text)
        assert message in refused.text, (change, re.findall(r'govuk-error-message">(.*?)</', refused.text, re.S))
    assert await _entries(platform, person) == []


async def test_a_document_bound_to_another_account_is_refused_without_reading_its_record(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    first = await a_citizen(platform)
    await _to_proving(platform, client, first, '["Cl.Cm.P2"]')
    await _post(client, "/identity/prove/route", "/identity/prove/route", {"route": "uk_passport"})
    await _post(client, "/identity/prove/details", "/identity/prove/details", ALYS)
    await _post(client, "/identity/prove/questions", "/identity/prove/questions", ALYS_ANSWERS)
    await _finish(client)

    other = another_browser(client)
    second = await a_citizen(platform)
    await _to_proving(platform, other, second, '["Cl.Cm.P2"]')
    await _post(other, "/identity/prove/route", "/identity/prove/route", {"route": "uk_passport"})
    refused = await _post(other, "/identity/prove/details", "/identity/prove/details", ALYS)
    assert refused.status_code == 400 and "already been used to prove the identity of another" in refused.text
    assert await _entries(platform, second) == []


async def test_repeated_tries_meet_the_throttle(platform: Platform, client: httpx.AsyncClient) -> None:
    person = await a_citizen(platform)
    await _to_proving(platform, client, person, '["Cl.Cm.P2"]')
    stranger = {**ALYS, "mrz-2": "5300009993GBR8405195F3406304<<<<<<<<<<<<<<<8"}
    statuses = []
    for _ in range(8):
        step = (await client.get("/identity/prove")).headers["location"]
        if step == "/identity/prove/result":  # not found at the issuer: try again
            await _post(client, "/identity/prove/result", "/identity/prove/again", {})
        if step != "/identity/prove/details":
            await _post(client, "/identity/prove/route", "/identity/prove/route", {"route": "uk_passport"})
        sent = await _post(client, "/identity/prove/details", "/identity/prove/details", stranger)
        statuses.append(sent.status_code)
    assert statuses[:6] == [303] * 6 and statuses[6:] == [429, 429], statuses  # five free tries, one more, then a wait
    assert "tried to prove your identity too many times" in sent.text and int(sent.headers["retry-after"]) > 0


def _payload(token: str) -> str:
    import base64

    part = token.split(".")[1]
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)).decode()


async def test_an_attempt_left_for_an_hour_is_deleted_with_what_was_typed_and_its_outcomes_stay(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    import datetime as dt

    from govplatform.core.interfaces import utcnow
    from govplatform.identity.models import ProvingAttempt
    from govplatform.identity.schedule import purge_expired

    dafydd = await a_citizen(platform)
    await _to_proving(platform, client, dafydd, '["Cl.Cm.P2"]')
    await _post(client, "/identity/prove/route", "/identity/prove/route", {"route": "uk_passport"})
    details = {"given-names": "Dafydd", "surname": "Price", "dob-day": "30", "dob-month": "1", "dob-year": "1970",
               "mrz-2": "5300003038GBR7001305M3406304<<<<<<<<<<<<<<<8", **ELSEWHERE}  # fmt: skip
    await _post(client, "/identity/prove/details", "/identity/prove/details", details)
    async with platform.uow() as uow:
        await purge_expired(uow, utcnow() + dt.timedelta(minutes=59))
        assert await uow.session.scalar(select(ProvingAttempt).where(ProvingAttempt.citizen_id == dafydd.id))
        await purge_expired(uow, utcnow() + dt.timedelta(minutes=61))
        await uow.commit()
        gone = await uow.session.scalar(select(ProvingAttempt).where(ProvingAttempt.citizen_id == dafydd.id))
        kept = list(await uow.session.scalars(select(ProvingOutcome.step).where(
            ProvingOutcome.person == outcomes.person_of(identity_of(platform), dafydd.id))))  # fmt: skip
    assert gone is None and sorted(kept) == ["document", "route"]


async def test_a_double_click_on_continue_answers_the_service_both_times(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    person = await a_citizen(platform)
    _, asked = await _to_proving(platform, client, person, '["Cl.Cm.P2"]')
    await _post(client, "/identity/prove/route", "/identity/prove/route", {"route": "none"})
    result = await client.get("/identity/prove/result")
    token = csrf_from(result.text)
    first = await client.post("/identity/prove/continue", data={"csrf_token": token})
    second = await client.post("/identity/prove/continue", data={"csrf_token": token})
    for answer in (first, second):
        assert answer.status_code == 302 and code_from(answer.headers["location"])["state"] == asked["state"]
        assert code_from(answer.headers["location"])["error"] == "access_denied"
    assert "Prove your identity" in (await client.get("/identity/prove")).text  # the journey is over


async def test_the_details_page_back_link_returns_to_the_choice_of_document(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    person = await a_citizen(platform)
    await _to_proving(platform, client, person, '["Cl.Cm.P2"]')
    await _post(client, "/identity/prove/route", "/identity/prove/route", {"route": "uk_passport"})
    back = await client.get("/identity/prove/route")
    assert back.status_code == 200 and "Do you have a UK passport" in back.text
    changed = await _post(client, "/identity/prove/route", "/identity/prove/route",
                          {"route": "uk_photocard_driving_licence"})  # fmt: skip
    assert changed.headers["location"] == "/identity/prove/details"
    assert "Enter your driving licence details" in (await client.get("/identity/prove/details")).text


class _SourceDown:
    """A fraud provider whose source does not answer, as a real one times out."""

    name, source = "down", "A fraud prevention service that is down"

    async def check(self, claimant: Claimant) -> FraudResult:
        raise TimeoutError("no answer")


async def test_a_provider_that_does_not_answer_gives_a_clear_page_and_keeps_the_record_already_read(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    identity = identity_of(platform)
    working = identity.checks.fraud
    identity.checks.fraud = _SourceDown()
    try:
        alys = await a_citizen(platform)
        await _to_proving(platform, client, alys, '["Cl.Cm.P2"]')
        await _post(client, "/identity/prove/route", "/identity/prove/route", {"route": "uk_passport"})
        sent = await _post(client, "/identity/prove/details", "/identity/prove/details", ALYS)
        assert sent.status_code == 503 and "cannot check your details at the moment" in sent.text
    finally:
        identity.checks.fraud = working
    entries = await _entries(platform, alys)
    assert len(entries) == 1 and "passport number" in entries[0]["what"]  # the issuer's record was read: logged
    again = await _post(client, "/identity/prove/details", "/identity/prove/details", ALYS)
    assert again.headers["location"] == "/identity/prove/questions"  # the same attempt goes on once it answers


async def test_proving_again_at_a_lower_level_never_lowers_a_proof(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    alys = await a_citizen(platform)
    await _to_proving(platform, client, alys, '["Cl.Cm.P2"]')
    await _post(client, "/identity/prove/route", "/identity/prove/route", {"route": "uk_passport"})
    await _post(client, "/identity/prove/details", "/identity/prove/details", ALYS)
    await _post(client, "/identity/prove/questions", "/identity/prove/questions", ALYS_ANSWERS)
    await _finish(client)
    # From the account, again: one answer wrong scores verification 1, which alone would be P1.
    await _post(client, "/identity/prove", "/identity/prove/start", {})
    await _post(client, "/identity/prove/route", "/identity/prove/route", {"route": "uk_passport"})
    await _post(client, "/identity/prove/details", "/identity/prove/details", ALYS)
    await _post(
        client, "/identity/prove/questions", "/identity/prove/questions", {**ALYS_ANSWERS, "bank": "None of these"}
    )
    from govplatform.identity.services import proven

    async with platform.uow() as uow:
        assert await proven.level_of(uow, alys.id) == "P2"


async def test_someone_born_over_a_century_ago_can_use_their_passport(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    """The zone's year has two digits: 19 May 1924 and 19 May 2024 read alike, so the typed year decides."""
    person = await a_citizen(platform)
    await _to_proving(platform, client, person, '["Cl.Cm.P2"]')
    await _post(client, "/identity/prove/route", "/identity/prove/route", {"route": "uk_passport"})
    elder = {**ALYS, "dob-year": "1924", "mrz-2": "5300007070GBR2405193F3406304<<<<<<<<<<<<<<<0"}
    sent = await _post(client, "/identity/prove/details", "/identity/prove/details", elder)
    assert sent.status_code == 303, sent.text  # well formed: on to the checks (the sandbox does not know her)
