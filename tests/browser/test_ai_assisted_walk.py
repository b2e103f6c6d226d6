"""In a real browser: a program manager reads the built-in risk model's card, goes from it to the
risk-weighted plan the model feeds, and on to a vendor scorecard whose strata were drawn with
the model's scores kept, where the AI-assisted interval stands beside the classical one with
what the scores were worth in audits.

A small program built by factories (the seeded demo is too slow for a test): the risk model's
audited tickets (tests.risk_model.world), trained at their fixed date, and two March strata
whose draw kept each audited ticket's score and the population's (as in
tests/scorecards/test_assisted_scorecard.py)."""

import random
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from risk_model.training import train_risk_model
from rollups.writer import rebuild_rollups
from sampling.models import SamplingPlan
from tests.browser import keep_a_picture
from tests.factories import AgentFactory
from tests.risk_model.world import NOW, audited_program
from tests.scorecards.test_assisted_scorecard import scored_batch

pytestmark = pytest.mark.browser

INTERVAL = re.compile(r"\d+\.\d% – \d+\.\d%")


@pytest.fixture
def program(manager, auditor):
    world = audited_program(manager, audited=110, unaudited=0, outside=0)
    model = train_risk_model(by=manager, now=NOW)
    plan = SamplingPlan.objects.create(
        name="Risk-weighted check",
        decision_types=["remove"],
        strata_keys=["vendor"],
        window_kind="yesterday",
        selection=SamplingPlan.Selection.RISK_WEIGHTED,
        risk_floor=Decimal("0.05"),
        created_by=manager,
    )
    rng = random.Random(3)
    site, workflow = world["audited"][0].site, world["audited"][0].workflow
    agents = [AgentFactory(site=site, vendor=world["vendor"], external_id=f"M{i}") for i in (1, 2)]
    for agent, population, passed in ((agents[0], 600, 12), (agents[1], 300, 10)):
        scored_batch(auditor, workflow, agent, population=population, rng=rng,
                     outcomes=["pass"] * passed + ["fail"] * 2 + ["critical"])
    rebuild_rollups()
    return {"vendor": world["vendor"], "model": model, "plan": plan}


def test_a_manager_walks_from_the_model_card_to_the_plan_to_both_intervals(
    page, signed_in, manager, program
):
    page.set_viewport_size({"width": 1280, "height": 900})
    signed_in(manager)

    page.goto("/")
    page.locator("summary", has_text="Program").click()
    page.get_by_role("link", name="Risk model", exact=True).click()
    expect(page.get_by_role("heading", name=re.compile("Built-in risk model"))).to_be_visible()
    expect(page.locator("#model-name")).to_have_text(program["model"].name)
    expect(page.locator("#auc")).to_have_text(re.compile(r"0\.\d{3}"))
    keep_a_picture(page, "ai-walk-1-model-card")

    page.locator("nav.breadcrumbs").get_by_role("link", name="Sampling").click()
    page.get_by_role("link", name="Risk-weighted check").click()
    expect(page.get_by_role("heading", name=re.compile("Risk-weighted check"))).to_be_visible()
    expect(page.locator("#plan-selection")).to_contain_text("Risk-weighted, floor 0.05")
    keep_a_picture(page, "ai-walk-2-plan")

    page.goto(f"/scorecards/vendors/{program['vendor'].slug}/?period=month&date=2026-03-01")
    accuracy = page.locator("#headline-accuracy")
    classical = accuracy.locator(".headline-interval").first
    assisted = accuracy.locator("#assisted-accuracy")
    expect(classical.locator(".interval")).to_have_text(INTERVAL)
    expect(assisted).to_contain_text("AI-assisted")
    expect(assisted.locator(".interval")).to_have_text(INTERVAL)
    expect(assisted.locator(".gain")).to_have_text(
        re.compile(r"the model's scores were worth about \d+ extra audits"))
    expect(page.locator("#assisted-critical_error_rate")).to_be_visible()
    # Side by side at 1280 px: the AI-assisted line sits inside its headline card, under the
    # classical interval, and the card does not spill out of the page.
    box, card = assisted.bounding_box(), accuracy.bounding_box()
    assert card["x"] + card["width"] <= 1280
    assert box["y"] >= classical.bounding_box()["y"]
    assert card["x"] <= box["x"] and box["x"] + box["width"] <= card["x"] + card["width"] + 1
    keep_a_picture(page, "ai-walk-3-scorecard")
