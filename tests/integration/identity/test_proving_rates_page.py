"""Identity proving's success rates (issue 17 item 6): outcomes recorded as the journey records them are counted
per person, first try and eventually, per route and per check; platform admins read them in a table per route
whose percentages also draw bars, in English and Welsh; no one else may; and /metrics counts the same outcomes.
"""

from __future__ import annotations

import html
import re
import uuid

import httpx
from prometheus_client.parser import text_string_to_metric_families

from govplatform.core.platform import Platform
from govplatform.core.services import staff
from govplatform.identity.proofing import outcomes
from tests.helpers import CLI, ready_user, service_with_org, sign_in
from tests.integration.identity.support import identity_of

PAGE = "/admin/identity/proving"
PASSPORT = "uk_passport"
LICENCE = "uk_photocard_driving_licence"

# Who tried what, in order: (person, route, step, passed). Four people try the passport route: Ann fails her
# first try and passes her second, Bob and Dee pass at once, Cal fails twice (at the knowledge check). Eve
# passes the licence route at once.
TRIES = [
    ("ann", PASSPORT, "document", False),
    ("ann", PASSPORT, "route", False),
    ("bob", PASSPORT, "document", True),
    ("bob", PASSPORT, "knowledge", True),
    ("bob", PASSPORT, "route", True),
    ("cal", PASSPORT, "document", True),
    ("cal", PASSPORT, "knowledge", False),
    ("cal", PASSPORT, "route", False),
    ("ann", PASSPORT, "document", True),
    ("ann", PASSPORT, "knowledge", True),
    ("ann", PASSPORT, "route", True),
    ("cal", PASSPORT, "knowledge", False),
    ("cal", PASSPORT, "route", False),
    ("dee", PASSPORT, "document", True),
    ("dee", PASSPORT, "knowledge", True),
    ("dee", PASSPORT, "route", True),
    ("eve", LICENCE, "document", True),
    ("eve", LICENCE, "route", True),
]


async def record_tries(platform: Platform, tries: list[tuple[str, str, str, bool]]) -> None:
    """Each try through `outcomes.record`, as the journey records it, one attempt per route try."""
    identity = identity_of(platform)
    people = {name: uuid.uuid4() for name in {person for person, *_ in tries}}
    attempt = {name: uuid.uuid4() for name in people}
    async with platform.uow() as uow:
        for person, route, step, passed in tries:
            detail = "P2" if passed else "failed"
            citizen = people[person]
            await outcomes.record(uow, identity, citizen, attempt[person], route, step, "sandbox", passed, detail)
            if step == "route":
                attempt[person] = uuid.uuid4()
        await uow.commit()


async def signed_in_staff(platform: Platform, client: httpx.AsyncClient, *, platform_admin: bool) -> None:
    email = f"staff-{uuid.uuid4().hex[:8]}@example.gov.uk"
    user_id, secret = await ready_user(platform, email, platform_admin=platform_admin)
    if not platform_admin:
        service_id = await service_with_org(platform, f"Council {uuid.uuid4().hex[:8]}")
        async with platform.uow() as uow:
            await staff.set_role(uow, CLI, service_id, user_id, "admin")
            await uow.commit()
    await sign_in(client, email, secret)


def table(page: str, route: str) -> tuple[str, list[list[str]]]:
    """A route's table as a person reads it: its caption, and each row's cells' text (head row first)."""
    found = re.search(rf'<table class="govuk-table"\s+id="route-{route}">(.*?)</table>', page, re.S)
    assert found, f"the page has no table for {route}"
    caption = re.search(r"<caption[^>]*>(.*?)</caption>", found.group(1), re.S)
    assert caption
    rows = [
        [text(cell) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", found.group(1), re.S)
    ]
    return text(caption.group(1)), rows


def text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


async def test_a_platform_admin_reads_each_routes_people_and_first_try_and_eventual_rates_per_check(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    await record_tries(platform, TRIES)
    await signed_in_staff(platform, client, platform_admin=True)
    response = await client.get(PAGE)
    assert response.status_code == 200
    assert '<h1 class="govuk-heading-l">Identity proving success rates</h1>' in response.text

    caption, rows = table(response.text, PASSPORT)
    assert caption == "UK passport"
    assert rows == [
        ["Check", "Tries", "People", "Passed at their first try", "Passed eventually"],
        ["Whole route", "6", "4", "50% (2 of 4)", "75% (3 of 4)"],
        ["Document check", "5", "4", "75% (3 of 4)", "100% (4 of 4)"],
        ["Knowledge-based check", "5", "4", "75% (3 of 4)", "75% (3 of 4)"],
    ]
    caption, rows = table(response.text, LICENCE)
    assert caption == "UK photocard driving licence"
    assert rows[1:] == [
        ["Whole route", "1", "1", "100% (1 of 1)", "100% (1 of 1)"],
        ["Document check", "1", "1", "100% (1 of 1)", "100% (1 of 1)"],
    ]
    assert response.text.index(f'id="route-{PASSPORT}"') < response.text.index(f'id="route-{LICENCE}"')


async def test_each_percentage_draws_a_bar_of_its_length_that_screen_readers_skip(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    await record_tries(platform, TRIES)
    await signed_in_staff(platform, client, platform_admin=True)
    page = (await client.get(PAGE)).text
    passport = re.search(rf'id="route-{PASSPORT}">(.*?)</table>', page, re.S)
    assert passport
    whole_route = re.findall(r"<tr[^>]*>(.*?)</tr>", passport.group(1), re.S)[1]
    bars = re.findall(r'<svg [^>]*aria-hidden="true"[^>]*>.*?<rect width="(\d+)"[^>]*fill="#1d70b8"', whole_route, re.S)
    assert bars == ["50", "75"], "one bar for first try, one for eventually, as long as the figure"
    assert " style=" not in page, "the Content-Security-Policy refuses inline styles"


async def test_the_page_is_in_welsh_for_a_welsh_reader(platform: Platform, client: httpx.AsyncClient) -> None:
    await record_tries(platform, TRIES)
    await signed_in_staff(platform, client, platform_admin=True)
    page = (await client.get(PAGE, params={"lang": "cy"})).text
    caption, rows = table(page, PASSPORT)
    assert caption == "Pasbort y DU"
    assert rows[0] == ["Gwiriad", "Ymdrechion", "Pobl", "Wedi llwyddo y tro cyntaf", "Wedi llwyddo yn y pen draw"]
    assert rows[1] == ["Y llwybr cyfan", "6", "4", "50% (2 o 4)", "75% (3 o 4)"]


async def test_before_anyone_tries_the_page_says_so_and_shows_no_table(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    await signed_in_staff(platform, client, platform_admin=True)
    page = await client.get(PAGE)
    assert page.status_code == 200
    assert "No one has tried to prove their identity yet." in page.text and "<table" not in page.text
    welsh = await client.get(PAGE, params={"lang": "cy"})
    assert "Nid oes neb wedi ceisio profi pwy ydyn nhw eto." in welsh.text


async def test_the_admin_home_links_platform_admins_to_the_page_and_no_one_else(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    link = f'<a class="govuk-link" href="{PAGE}">Identity proving success rates</a>'
    await signed_in_staff(platform, client, platform_admin=True)
    assert link in (await client.get("/admin")).text
    client.cookies.clear()
    await signed_in_staff(platform, client, platform_admin=False)
    assert PAGE not in (await client.get("/admin")).text


async def test_staff_who_are_not_platform_admins_are_refused_and_learn_no_figures(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    await record_tries(platform, TRIES)
    await signed_in_staff(platform, client, platform_admin=False)
    response = await client.get(PAGE)
    assert response.status_code == 403
    assert "Only platform admins can do that" in response.text and "UK passport" not in response.text


async def test_someone_signed_out_is_sent_to_sign_in(platform: Platform, client: httpx.AsyncClient) -> None:
    identity_of(platform)
    response = await client.get(PAGE)
    assert response.status_code == 303 and response.headers["location"].startswith("/sign-in")


def counted(metrics: str) -> dict[tuple[str, str, str, str], float]:
    """The proving outcomes counter's samples in a /metrics answer, by (route, step, result, try)."""
    found = {}
    for family in text_string_to_metric_families(metrics):
        if family.name == "govplatform_identity_proving_outcomes":
            for sample in family.samples:
                if sample.name.endswith("_total"):
                    labels = sample.labels
                    found[(labels["route"], labels["step"], labels["result"], labels["try"])] = sample.value
    return found


async def test_metrics_count_each_outcome_by_route_step_result_and_whether_it_was_a_first_try(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    # The counter belongs to the process, and other tests have moved it: compare before and after.
    before = counted((await client.get("/metrics")).text)
    await record_tries(platform, TRIES)
    response = await client.get("/metrics")
    assert response.status_code == 200
    after = counted(response.text)
    moved = {key: after[key] - before.get(key, 0.0) for key in after if after[key] != before.get(key, 0.0)}
    assert moved == {
        (PASSPORT, "route", "failed", "first"): 2.0,  # Ann, Cal
        (PASSPORT, "route", "passed", "first"): 2.0,  # Bob, Dee
        (PASSPORT, "route", "passed", "later"): 1.0,  # Ann
        (PASSPORT, "route", "failed", "later"): 1.0,  # Cal
        (PASSPORT, "document", "failed", "first"): 1.0,
        (PASSPORT, "document", "passed", "first"): 3.0,
        (PASSPORT, "document", "passed", "later"): 1.0,
        (PASSPORT, "knowledge", "passed", "first"): 3.0,
        (PASSPORT, "knowledge", "failed", "first"): 1.0,
        (PASSPORT, "knowledge", "failed", "later"): 1.0,
        (LICENCE, "route", "passed", "first"): 1.0,
        (LICENCE, "document", "passed", "first"): 1.0,
    }
    line = f'govplatform_identity_proving_outcomes_total{{result="passed",route="{LICENCE}",step="route",try="first"}}'
    assert line in response.text, "the labelled counter, as a monitoring system reads it"
