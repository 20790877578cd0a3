"""Keeping sensitive values out of what the deployer shows: Terraform's JSON and text.

Terraform masks sensitive values in its human output, but its JSON (`show -json`,
`output -json`) holds them in clear next to markers (`sensitive_values`,
`before_sensitive`/`after_sensitive`, `"sensitive": true`), and a value copied by a
resource into an attribute its schema does not mark (terraform_data's `output`, say) shows
in clear even in the text plan. So the JSON is redacted through its markers, then every
string that equals or contains a value found sensitive (or one the caller named) is
masked too.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

SENSITIVE = "(sensitive value)"
# Shorter values would mask ordinary words and numbers everywhere ("1", "dev", "true").
MIN_MASKED_LENGTH = 4


def mask_text(text: str, secrets: Iterable[str]) -> str:
    """`text` with every occurrence of each secret (longest first) replaced by a placeholder."""
    for secret in sorted(_maskable(secrets), key=len, reverse=True):
        text = text.replace(secret, SENSITIVE)
    return text


def _maskable(secrets: Iterable[str]) -> set[str]:
    return {s for s in secrets if isinstance(s, str) and len(s) >= MIN_MASKED_LENGTH}


class _Redactor:
    def __init__(self) -> None:
        self.found: set[str] = set()

    def hide(self, value: Any, marker: Any) -> Any:
        """`value` with the parts `marker` (true, or a mirror of its shape) flags hidden."""
        if marker is True:
            self._collect(value)
            return SENSITIVE
        if isinstance(marker, dict) and isinstance(value, dict):
            return {k: self.hide(v, marker.get(k, False)) for k, v in value.items()}
        if isinstance(marker, list) and isinstance(value, list):
            return [
                self.hide(v, marker[i] if i < len(marker) else False) for i, v in enumerate(value)
            ]
        return value

    def _collect(self, value: Any) -> None:
        if isinstance(value, str):
            self.found.add(value)
        elif isinstance(value, dict):
            for item in value.values():
                self._collect(item)
        elif isinstance(value, list):
            for item in value:
                self._collect(item)

    def values_tree(self, tree: Any) -> None:
        """State-shaped values: `{"outputs": {...}, "root_module": {...}}`."""
        if not isinstance(tree, dict):
            return
        for output in (tree.get("outputs") or {}).values():
            if isinstance(output, dict) and output.get("sensitive") and "value" in output:
                output["value"] = self.hide(output["value"], True)
        self.module(tree.get("root_module"))

    def module(self, module: Any) -> None:
        if not isinstance(module, dict):
            return
        for resource in module.get("resources") or []:
            if "values" in resource:
                resource["values"] = self.hide(
                    resource["values"], resource.get("sensitive_values") or {}
                )
        for child in module.get("child_modules") or []:
            self.module(child)

    def change(self, change: Any) -> None:
        """A `change` object: before/after with before_sensitive/after_sensitive markers."""
        if not isinstance(change, dict):
            return
        for side in ("before", "after"):
            if side in change:
                change[side] = self.hide(change[side], change.get(f"{side}_sensitive", False))


def redact_json(doc: Any, secrets: Iterable[str] = ()) -> Any:
    """A copy of `terraform show -json` (plan or state) output with sensitive values masked."""
    doc = copy.deepcopy(doc)
    if not isinstance(doc, dict):
        return doc
    redactor = _Redactor()
    declared = ((doc.get("configuration") or {}).get("root_module") or {}).get("variables") or {}
    given = doc.get("variables") or {}
    for name, declaration in declared.items():
        if isinstance(declaration, dict) and declaration.get("sensitive"):
            if "default" in declaration:
                declaration["default"] = redactor.hide(declaration["default"], True)
            if isinstance(given.get(name), dict) and "value" in given[name]:
                given[name]["value"] = redactor.hide(given[name]["value"], True)
    redactor.values_tree(doc.get("values"))  # state
    redactor.values_tree(doc.get("planned_values"))
    redactor.values_tree((doc.get("prior_state") or {}).get("values"))
    for key in ("resource_changes", "resource_drift"):
        for item in doc.get(key) or []:
            redactor.change(item.get("change") if isinstance(item, dict) else None)
    for change in (doc.get("output_changes") or {}).values():
        redactor.change(change)
    return _scrub(doc, _maskable([*redactor.found, *secrets]))


def redact_outputs(outputs: Any, secrets: Iterable[str] = ()) -> Any:
    """A copy of `terraform output -json` with sensitive outputs' values masked."""
    outputs = copy.deepcopy(outputs)
    if not isinstance(outputs, dict):
        return outputs
    redactor = _Redactor()
    for output in outputs.values():
        if isinstance(output, dict) and output.get("sensitive") and "value" in output:
            output["value"] = redactor.hide(output["value"], True)
    return _scrub(outputs, _maskable([*redactor.found, *secrets]))


def _scrub(value: Any, secrets: set[str]) -> Any:
    """Mask every string that equals or contains a secret, wherever it sits."""
    if not secrets:
        return value
    if isinstance(value, str):
        return SENSITIVE if value in secrets else mask_text(value, secrets)
    if isinstance(value, dict):
        return {k: _scrub(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v, secrets) for v in value]
    return value
