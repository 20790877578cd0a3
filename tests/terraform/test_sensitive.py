"""Sensitive values redacted from Terraform's JSON (deployer.terraform.sensitive)."""

from __future__ import annotations

import json

from deployer.terraform.adapter import SENSITIVE
from deployer.terraform.sensitive import redact_json, redact_outputs


def test_json_redaction_follows_terraforms_markers_at_any_depth():
    doc = {
        "variables": {"token": {"value": "tok-123456"}, "region": {"value": "eu-west-1"}},
        "configuration": {
            "root_module": {"variables": {"token": {"sensitive": True, "default": "dflt-999"}}}
        },
        "planned_values": {
            "outputs": {"url": {"sensitive": False, "value": "https://x"}},
            "root_module": {
                "child_modules": [
                    {
                        "resources": [
                            {
                                "values": {"tags": {"a": "keep", "b": "pw-abcdef"}, "l": [1, "s1"]},
                                "sensitive_values": {"tags": {"b": True}, "l": [False, True]},
                            }
                        ]
                    }
                ]
            },
        },
        "resource_changes": [
            {"change": {"before": None, "after": {"copy": "pw-abcdef!"}, "after_sensitive": {}}}
        ],
        "output_changes": {"pw": {"before": "x", "after": "out-7777", "after_sensitive": True}},
    }
    redacted = redact_json(doc, secrets=["extra-secret"])
    text = json.dumps(redacted)
    for secret in ("tok-123456", "dflt-999", "pw-abcdef", "out-7777"):
        assert secret not in text
    values = redacted["planned_values"]["root_module"]["child_modules"][0]["resources"][0]
    assert values["values"] == {"tags": {"a": "keep", "b": SENSITIVE}, "l": [1, SENSITIVE]}
    # An unmarked copy of a marked value is masked too (terraform_data's `output` case).
    assert redacted["resource_changes"][0]["change"]["after"]["copy"] == f"{SENSITIVE}!"
    assert redacted["variables"]["region"]["value"] == "eu-west-1"
    assert doc["variables"]["token"]["value"] == "tok-123456"  # the input is left alone
    assert redact_outputs({"o": {"sensitive": True, "value": {"k": "v-secret"}}}) == {
        "o": {"sensitive": True, "value": SENSITIVE}
    }
