"""The recipes of docs/workflows.md are what they say: each block is accepted by POST /workflows, and
the round-robin one hands new subscriptions to its users in turn."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from recurra.accounts.models import User
from recurra.accounts.services import user_create
from recurra.core import clock
from recurra.core.actors import Actor
from recurra.crm.services import contact_create
from recurra.subscriptions.models import Subscription
from recurra.subscriptions.services import subscription_create
from recurra.worker.steps import run_due_work
from tests.api.support import ok
from tests.scenarios.conftest import item

pytestmark = pytest.mark.usefixtures("frozen_clock")
DOCS = Path(__file__).resolve().parents[2] / "docs" / "workflows.md"
SYSTEM = Actor.system()


def recipes() -> list[dict]:
    text = DOCS.read_text().split("## Recipes", 1)[1].split("\n## ", 1)[0]
    return [json.loads(block) for block in re.findall(r"```json\n(.*?)```", text, re.S)]


def test_there_are_the_three_recipes_of_the_issue() -> None:
    assert [r["name"] for r in recipes()] == [
        "Notify the owner when a subscription becomes Unpaid",
        "Remind the team 7 days before the next payment",
        "Assign new subscriptions round robin",
    ]


def test_each_recipe_is_accepted_and_round_robin_assigns_in_turn(api_as) -> None:
    editor = api_as("editor")
    for name in ("ulla", "viktor"):
        user_create(
            username=name, email=f"{name}@example.com", password="x" * 20, role="editor", actor=SYSTEM
        )
    turn = [User.objects.get(username=n).pk for n in ("ulla", "viktor")]
    for recipe in recipes():
        if recipe["actions"][0]["type"] == "assign_owner":
            recipe["actions"][0]["rotate"] = turn  # the page's ids stand for users of the reader's team
        ok(editor.post("/workflows", recipe), 201)

    contact = contact_create(actor=SYSTEM, email="ada@example.com")
    subs = [
        subscription_create(
            contact=contact,
            line_items=[item(name=f"Plan {n}")],
            collection_method="send_invoice",
            payment_terms="net_30",
            actor=SYSTEM,
            at=clock.now(),
        )
        for n in range(3)
    ]
    run_due_work(at=clock.now())

    owners = [Subscription.objects.get(pk=s.pk).owner_id for s in subs]
    assert owners == [turn[0], turn[1], turn[0]]
