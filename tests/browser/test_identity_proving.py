"""Proving an identity in Chromium (issue 17): each of the sandbox's documented test identities
(docs/identity-proofing.md) reaches exactly its documented outcome, without JavaScript, sent by a service that
asked for P2 (or P1, for the P1 identity); the pages are axe-clean in English and Welsh, with their errors; and
the success-rate page and /metrics show these runs.

A document proves one account only, so each sandbox identity has one account here, shared by the tests."""

from __future__ import annotations

import dataclasses
import json
import re
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pyotp
import pytest
from joserfc.jwk import RSAKey
from playwright.async_api import Browser, Page, expect

from tests.browser.axe import assert_no_accessibility_violations
from tests.browser.conftest import new_context
from tests.browser.pages import LANGUAGES, Authenticator, sign_in
from tests.browser.server import LiveServer

pytestmark = pytest.mark.browser
PASSWORD = "a long passphrase for the browser"
WORDS = {
    "en": {"email": "Enter your email address to sign in", "password": "Password", "continue": "Continue",
           "code": "Enter the 6-digit security code shown in your authenticator app",
           "route": "Do you have a UK passport or a UK photocard driving licence?", "passport": "UK passport",
           "licence": "UK photocard driving licence", "neither": "I do not have either of these",
           "details": "Enter your passport details", "first": "First names", "last": "Last name", "day": "Day",
           "month": "Month", "year": "Year", "mrz": "The second line of the machine-readable zone",
           "questions": "Answer security questions", "proved": "You have proved your identity",
           "cannot": "We cannot prove your identity online", "problem": "There is a problem",
           "start": "Prove your identity", "help": "Other ways to prove your identity",
           "bank": "Which of these banks do you have a current account with?"},
    "cy": {"email": "Rhowch eich cyfeiriad e-bost i fewngofnodi", "password": "Cyfrinair", "continue": "Parhau",
           "code": "Rhowch y cod diogelwch 6 digid a ddangosir yn eich ap dilysu",
           "route": "Oes gennych chi basbort y DU neu drwydded yrru cerdyn-llun y DU?", "passport": "Pasbort y DU",
           "licence": "Trwydded yrru cerdyn-llun y DU", "neither": "Does gen i ddim un o’r rhain",
           "details": "Rhowch fanylion eich pasbort", "first": "Enwau cyntaf", "last": "Cyfenw", "day": "Diwrnod",
           "month": "Mis", "year": "Blwyddyn", "mrz": "Ail linell y parth peiriant-ddarllenadwy",
           "questions": "Atebwch gwestiynau diogelwch", "proved": "Rydych wedi profi pwy ydych chi",
           "cannot": "Ni allwn brofi pwy ydych chi ar-lein", "problem": "Mae problem wedi codi",
           "start": "Profi pwy ydych chi", "help": "Ffyrdd eraill o brofi pwy ydych chi",
           "bank": "Gyda pha un o’r banciau hyn y mae gennych gyfrif cyfredol?"},
}  # fmt: skip


@dataclasses.dataclass(frozen=True)
class Identity:
    """A sandbox identity as a person types it, and the outcome docs/identity-proofing.md documents."""

    key: str
    given: str
    surname: str
    born: tuple[str, str, str]
    route: str  # "passport" or "licence"
    document: dict[str, str]
    answers: tuple[str, ...]
    asked_for: str
    outcome: str  # "proved", "document", "knowledge", "fraud", or "level" (P1 reached, below the P2 asked for)


_ALYS_ANSWERS = ("Riverside Bank", "£101 to £250", "2021")
IDENTITIES = [
    Identity("p2-passport", "Alys", "Pennant", ("19", "5", "1984"), "passport",
             {"mrz": "5300001012GBR8405195F3406304<<<<<<<<<<<<<<<0"}, _ALYS_ANSWERS, "P2", "proved"),
    Identity("p2-driving-licence", "Bryn", "Howells", ("2", "11", "1979"), "licence",
             {"number": "HOWEL711029B99XY", "issue": "12", "expiry": "30 6 2034"},
             ("Coastline Bank", "Up to £100", "2019"), "P2", "proved"),
    Identity("p1", "Carys", "Lloyd", ("23", "8", "1992"), "passport",
             {"mrz": "5300002020GBR9208234F3406304<<<<<<<<<<<<<<<0"}, ("Harbour Row", "Penrhos", "2019"), "P2",
             "level"),
    Identity("document-fails", "Dafydd", "Price", ("30", "1", "1970"), "passport",
             {"mrz": "5300003038GBR7001305M3406304<<<<<<<<<<<<<<<8"}, _ALYS_ANSWERS, "P2", "document"),
    Identity("knowledge-fails", "Efa", "Roberts", ("12", "12", "1988"), "passport",
             {"mrz": "5300004046GBR8812120F3406304<<<<<<<<<<<<<<<0"}, _ALYS_ANSWERS, "P2", "knowledge"),
    Identity("fraud-flagged", "Ffion", "Hughes", ("4", "4", "1995"), "passport",
             {"mrz": "5300005054GBR9504040F3406304<<<<<<<<<<<<<<<6"}, _ALYS_ANSWERS, "P2", "fraud"),
]  # fmt: skip
ADDRESSES = {  # as docs/identity-proofing.md lists them
    "p2-passport": ("7 Heol y Dderwen", "Llanfair", "ZZ99 1AP"),
    "p2-driving-licence": ("22 Ffordd yr Harbwr", "Aberdaron", "ZZ99 2BH"),
    "p1": ("3 Stryd y Capel", "Penrhos", "ZZ99 3CL"),
    "document-fails": ("1 Lôn y Felin", "Llanfair", "ZZ99 4DP"),
    "knowledge-fails": ("9 Rhes y Cei", "Aberdaron", "ZZ99 5ER"),
    "fraud-flagged": ("15 Heol y Bryn", "Penrhos", "ZZ99 6FH"),
}
RESULT_HEADINGS = {
    "proved": "You have proved your identity",
    "document": "We could not prove your identity",
    "knowledge": "We could not prove your identity",
    "fraud": "We could not prove your identity",  # word for word the failed knowledge check's page
    "level": "We cannot prove your identity online",  # P1 reached; the service asked for P2
}


@dataclasses.dataclass(frozen=True)
class RelyingParty:
    client_id: str
    redirect_uri: str


@pytest.fixture(scope="module")
def relying_party(live_server: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> RelyingParty:
    """A service that may ask for identity (so it signs its token requests with a key: private_key_jwt)."""
    redirect_uri = f"{live_server.url}/"  # the platform's start page stands in for the service's callback
    pem = tmp_path_factory.mktemp("blue-badges") / "public.pem"
    pem.write_bytes(RSAKey.generate_key(2048).as_pem(private=False))
    made = json.loads(
        live_server.cli("identity", "client", "create", "--service", live_server.demo.service_id,
                        "--name", "Blue badges", "--redirect-uri", redirect_uri, "--levels", "P0,P1,P2",
                        "--public-key-file", str(pem), "--json")
    )  # fmt: skip
    return RelyingParty(made["client_id"], redirect_uri)


@pytest.fixture(scope="module")
def accounts(live_server: LiveServer) -> dict[str, tuple[str, Authenticator]]:
    """One account per sandbox identity (a document proves one account), made when first needed."""
    made: dict[str, tuple[str, Authenticator]] = {}
    for identity in IDENTITIES:
        secret = pyotp.random_base32()
        email = f"{identity.key}-{secrets.token_hex(4)}@example.com"
        live_server.cli("identity", "citizen", "create", "--email", email, "--password", PASSWORD,
                        "--totp-secret", secret)  # fmt: skip
        made[identity.key] = (email, Authenticator(secret))
    return made


async def _authorize(page: Page, rp: RelyingParty, level: str, language: str, state: str) -> None:
    query = {"response_type": "code", "scope": "openid email", "client_id": rp.client_id, "state": state,
             "redirect_uri": rp.redirect_uri, "nonce": "the-nonce", "ui_locales": language,
             "vtr": f'["Cl.Cm.{level}"]'}  # fmt: skip
    await page.goto("/authorize?" + urlencode(query))


async def _signs_in(page: Page, account: tuple[str, Authenticator], language: str) -> None:
    words = WORDS[language]
    await page.get_by_label(words["email"]).fill(account[0])
    await page.get_by_role("button", name=words["continue"]).click()
    await page.get_by_label(words["password"], exact=True).fill(PASSWORD)
    await page.get_by_role("button", name=words["continue"]).click()
    await page.get_by_label(words["code"]).fill(await account[1].code())
    await page.get_by_role("button", name=words["continue"]).click()


async def _details(page: Page, identity: Identity, words: dict[str, str]) -> None:
    await page.get_by_label(words["first"]).fill(identity.given)
    await page.get_by_label(words["last"]).fill(identity.surname)
    birth = page.get_by_role("group", name=re.compile("Date of birth|Dyddiad geni"))
    for label, value in zip((words["day"], words["month"], words["year"]), identity.born, strict=True):
        await birth.get_by_label(label).fill(value)
    address = page.get_by_role("group", name=re.compile("Your current address|Eich cyfeiriad presennol"))
    for field, value in zip(("address-line-1", "address-town", "address-postcode"), ADDRESSES[identity.key],
                            strict=True):  # fmt: skip
        await address.locator(f"#{field}").fill(value)
    if identity.route == "passport":
        await page.get_by_label(words["mrz"]).fill(identity.document["mrz"])
    else:
        await page.get_by_label("Driving licence number").fill(identity.document["number"])
        await page.get_by_label("Issue number").fill(identity.document["issue"])
        expiry = page.get_by_role("group", name="Expiry date")
        for label, value in zip(("Day", "Month", "Year"), identity.document["expiry"].split(), strict=True):
            await expiry.get_by_label(label).fill(value)
    await page.get_by_role("button", name=words["continue"]).click()


async def _answers(page: Page, identity: Identity, words: dict[str, str]) -> None:
    for answer in identity.answers:
        await page.get_by_label(answer, exact=True).check()
    await page.get_by_role("button", name=words["continue"]).click()


@pytest.mark.parametrize("identity", IDENTITIES, ids=[identity.key for identity in IDENTITIES])
async def test_each_sandbox_identity_reaches_its_documented_outcome_without_javascript(
    page_without_javascript: Page, relying_party: RelyingParty, accounts: dict[str, tuple[str, Authenticator]],
    identity: Identity,
) -> None:  # fmt: skip
    page, words = page_without_javascript, WORDS["en"]
    await _authorize(page, relying_party, identity.asked_for, "en", identity.key)
    await _signs_in(page, accounts[identity.key], "en")
    await expect(page.get_by_role("heading", level=1)).to_have_text(words["route"])
    await page.get_by_label(words["passport"] if identity.route == "passport" else words["licence"]).check()
    await page.get_by_role("button", name=words["continue"]).click()
    await _details(page, identity, words)
    if identity.outcome in ("proved", "knowledge", "level"):  # the document and fraud checks passed: questions follow
        await expect(page.get_by_role("heading", level=1)).to_have_text(words["questions"])
        await _answers(page, identity, words)
    await expect(page.get_by_role("heading", level=1)).to_have_text(RESULT_HEADINGS[identity.outcome])
    await page.get_by_role("button", name="Continue to Blue badges").click()
    await expect(page).to_have_url(re.compile(r"state=" + identity.key))
    returned = parse_qs(urlsplit(page.url).query)
    if identity.outcome == "proved":
        assert "code" in returned and "error" not in returned
    else:
        assert returned["error"] == ["access_denied"] and "code" not in returned
        assert returned["error_description"] == ["Level of confidence not reached"]
    if identity.outcome == "level":  # she reached P1: a service asking for P1 gets a code at once (single sign-on)
        await _authorize(page, relying_party, "P1", "en", "p1-after")
        await expect(page).to_have_url(re.compile(r"\?code=.+&state=p1-after$"))


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_proving_pages_have_no_accessibility_violations_in_english_and_welsh(
    page: Page, accounts: dict[str, tuple[str, Authenticator]], language: str
) -> None:
    """From the account, no service waiting (any level proved is a success): every page, with its errors."""
    words, carys = WORDS[language], IDENTITIES[2]
    await page.goto(f"/identity/prove?lang={language}")
    await _signs_in(page, accounts[carys.key], language)
    await expect(page.locator("html")).to_have_attribute("lang", language)
    await expect(page.get_by_role("heading", level=1)).to_have_text(words["start"])
    await assert_no_accessibility_violations(page)
    await page.get_by_role("button", name=words["continue"]).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(words["route"])
    await assert_no_accessibility_violations(page)
    await page.get_by_role("button", name=words["continue"]).click()  # nothing chosen
    await expect(page.get_by_role("alert")).to_contain_text(words["problem"])
    await assert_no_accessibility_violations(page)
    await page.get_by_label(words["passport"]).check()
    await page.get_by_role("button", name=words["continue"]).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(words["details"])
    await assert_no_accessibility_violations(page)
    await _details(page, dataclasses.replace(carys, born=("24", "8", "1992")), words)  # not the zone's date
    await expect(page.get_by_role("alert")).to_contain_text(words["problem"])
    await assert_no_accessibility_violations(page)
    await _details(page, carys, words)
    await expect(page.get_by_role("heading", level=1)).to_have_text(words["questions"])
    none_of_these = {"en": "None of these", "cy": "Dim un o’r rhain"}[language]  # the options are in the language too
    await expect(page.get_by_label(none_of_these, exact=True).first).to_be_attached()
    await assert_no_accessibility_violations(page)
    await page.get_by_role("button", name=words["continue"]).click()  # nothing answered
    await expect(page.get_by_role("alert")).to_contain_text(words["problem"])
    await assert_no_accessibility_violations(page)
    await _answers(page, carys, words)
    await expect(page.get_by_role("heading", level=1)).to_have_text(words["proved"])
    await assert_no_accessibility_violations(page)

    # Starting again, with neither document: the way out, and the help page.
    await page.goto(f"/identity/prove/result?lang={language}")
    await page.get_by_role("button", name=re.compile("your account|i’ch cyfrif")).click()
    await page.goto(f"/identity/prove?lang={language}")
    await page.get_by_role("button", name=words["continue"]).click()
    await page.get_by_label(words["neither"]).check()
    await page.get_by_role("button", name=words["continue"]).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(words["cannot"])
    await assert_no_accessibility_violations(page)
    await page.get_by_role("link", name=re.compile("and get help|a chael help")).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(words["help"])
    await assert_no_accessibility_violations(page)
    await page.go_back()  # and out, to the account: the attempt ends
    await page.get_by_role("button", name=re.compile("your account|i’ch cyfrif")).click()
    await expect(page).to_have_url(re.compile("/identity/account"))


async def _knowledge_tries(page: Page) -> int:
    """The passport route's knowledge check's tries, as the success-rate page shows them (0 before any)."""
    await page.goto("/admin/identity/proving")
    table = page.locator("#route-uk_passport")
    if await table.count() == 0:
        return 0
    row = table.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Knowledge-based check"))
    if await row.count() == 0:
        return 0
    return int(await row.get_by_role("cell").first.inner_text())


def _failed_knowledge_count(metrics: str) -> float:
    """The passport route's failed knowledge checks, first tries and later, from /metrics (labels in any order)."""
    wanted = ('route="uk_passport"', 'step="knowledge"', 'result="failed"')
    name = "govplatform_identity_proving_outcomes_total{"
    lines = [line for line in metrics.splitlines() if line.startswith(name) and all(w in line for w in wanted)]
    return sum(float(line.rsplit(" ", 1)[1]) for line in lines)


async def test_the_success_rate_page_and_metrics_show_the_journeys_run_in_the_browser(
    browser: Browser, page: Page, live_server: LiveServer, relying_party: RelyingParty,
    accounts: dict[str, tuple[str, Authenticator]], demo_authenticator: Authenticator,
) -> None:  # fmt: skip
    """Efa's journey (the knowledge check fails, so it can be run again and again) moves the page's figures and
    the /metrics counter on by exactly one try."""
    staff = await new_context(browser, live_server)
    admin = await staff.new_page()
    await admin.goto("/sign-in")
    await sign_in(admin, live_server.demo.email, live_server.demo.password, demo_authenticator)
    before = await _knowledge_tries(admin)
    metrics_before = _failed_knowledge_count(httpx.get(live_server.url + "/metrics").text)  # from this machine

    efa, words = IDENTITIES[4], WORDS["en"]
    await _authorize(page, relying_party, "P2", "en", "efa-rates")
    await _signs_in(page, accounts[efa.key], "en")
    await page.get_by_label(words["passport"]).check()
    await page.get_by_role("button", name=words["continue"]).click()
    await _details(page, efa, words)
    await _answers(page, efa, words)
    await expect(page.get_by_role("heading", level=1)).to_have_text(RESULT_HEADINGS["knowledge"])

    assert await _knowledge_tries(admin) == before + 1
    metrics_after = _failed_knowledge_count(httpx.get(live_server.url + "/metrics").text)
    assert metrics_after == metrics_before + 1
    await staff.close()
