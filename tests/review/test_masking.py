"""The one walk over Terraform's sensitivity markers: what the adapter redacts from the plan
JSON is what the plan comment masks in the plan text (deployer.terraform.sensitive)."""

from __future__ import annotations

import copy

from helpers.plan_stack import SENTINEL_NEW, SENTINEL_OLD, PlanStack

from deployer.review import PlanSummary, render_plan_markdown
from deployer.review.summary import ResourceChange
from deployer.terraform import SENSITIVE, sensitive_values
from deployer.terraform.sensitive import MIN_MASKED_LENGTH, redact_json


def _hidden(original: object, redacted: object) -> set[str]:
    """The strings of `original` that stand as the placeholder in `redacted`."""
    if redacted == SENSITIVE and original != SENSITIVE:
        return {s for s in _strings(original) if len(s) >= MIN_MASKED_LENGTH}
    if isinstance(original, dict) and isinstance(redacted, dict):
        return set().union(*(_hidden(v, redacted.get(k)) for k, v in original.items()))
    if isinstance(original, list) and isinstance(redacted, list):
        return set().union(*(_hidden(a, b) for a, b in zip(original, redacted, strict=False)))
    return set()


def _strings(value: object) -> set[str]:
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        return set().union(*(_strings(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(_strings(v) for v in value))
    return set()


def test_what_the_json_redacts_the_text_masks_on_a_real_plan(plan_stack: PlanStack) -> None:
    plan = plan_stack.plan(SENTINEL_NEW, stage="changed")
    untouched = copy.deepcopy(plan.show_json)
    masks = sensitive_values(plan.show_json)
    assert plan.show_json == untouched  # finding the values changes nothing

    hidden = _hidden(plan.show_json, redact_json(plan.show_json))
    assert {SENTINEL_OLD, SENTINEL_NEW} <= hidden
    assert hidden <= masks


def test_every_place_that_is_redacted_is_masked_too() -> None:
    """Drifted objects and the default of a sensitive variable: the JSON redacts them, so
    the text masks them as well."""
    show = {
        "configuration": {
            "root_module": {"variables": {"token": {"sensitive": True, "default": "dflt-secret"}}}
        },
        "resource_drift": [
            {
                "address": "x.y",
                "change": {
                    "actions": ["update"],
                    "before": {"password": "drift-before"},
                    "before_sensitive": {"password": True},
                    "after": {"password": "drift-after"},
                    "after_sensitive": {"password": True},
                },
            }
        ],
        "values": {"outputs": {"o": {"sensitive": True, "value": ["state-secret", "ab"]}}},
    }
    masks = sensitive_values(show)
    assert {"dflt-secret", "drift-before", "drift-after", "state-secret"} <= masks
    assert _hidden(show, redact_json(show)) <= masks
    assert "ab" not in masks  # too short to mask anywhere (MIN_MASKED_LENGTH)


def test_the_comment_masks_every_string_it_is_given_however_short() -> None:
    summary = PlanSummary(changes=(ResourceChange("a.b", "update"),))
    text = '  ~ pin = "k9z" -> "q7"\n'
    body = render_plan_markdown("dev", summary, text, mask=["k9z", "q7", ""])
    assert "k9z" not in body and '"q7"' not in body
    assert f'~ pin = "{SENSITIVE}" -> "{SENSITIVE}"' in body
