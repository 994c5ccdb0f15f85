"""The success rates' figures as the admin page shows them: percentages of people, never of tries, and routes in
the order a citizen is offered them."""

from __future__ import annotations

from govplatform.identity.pages.proving_rates import by_route
from govplatform.identity.proofing.outcomes import Rate


def test_percentages_are_of_people_rounded_to_whole_numbers() -> None:
    rate = Rate("uk_passport", "route", tries=9, people=3, first_try=1, eventually=2)
    assert (rate.first_try_percent, rate.eventually_percent) == (33, 67)


def test_a_route_no_one_tried_shows_nought_percent_rather_than_dividing_by_nought() -> None:
    rate = Rate("uk_passport", "route", tries=0, people=0, first_try=0, eventually=0)
    assert (rate.first_try_percent, rate.eventually_percent) == (0, 0)


def test_routes_come_passport_first_then_licence_then_any_other_by_code_each_with_its_own_rows() -> None:
    rates = [
        Rate("exchange_records", "route", 1, 1, 1, 1),
        Rate("uk_photocard_driving_licence", "route", 2, 2, 1, 2),
        Rate("uk_passport", "route", 3, 2, 1, 1),
        Rate("uk_passport", "document", 3, 2, 2, 2),
    ]
    routes = by_route(rates)
    assert [(figures.route, figures.name) for figures in routes] == [
        ("uk_passport", "UK passport"),
        ("uk_photocard_driving_licence", "UK photocard driving licence"),
        ("exchange_records", "exchange_records"),
    ]
    assert [rate.step for rate in routes[0].rates] == ["route", "document"]
    assert by_route([]) == []
