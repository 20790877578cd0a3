"""Keeping sensitive values out of what the deployer shows: Terraform's JSON and text.

Terraform masks sensitive values in its human output, but its JSON (`show -json`,
`output -json`) holds them in clear next to markers (`sensitive_values`,
`before_sensitive`/`after_sensitive`, `"sensitive": true`), and a value copied by a
resource into an attribute its schema does not mark (terraform_data's `output`, say) shows
in clear even in the text plan. So the JSON is redacted through its markers, then every
string that equals or contains a value found sensitive (or one the caller named) is
masked too; and `sensitive_values` hands the values found the same way to whoever masks
the text plan (the review's markdown).

The markers are walked in one place, `_Walker`: it collects every string under a marker
and, when redacting, replaces the marked value.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable
from typing import Any

SENSITIVE = "(sensitive value)"
# Shorter values would mask ordinary words and numbers everywhere ("1", "dev", "true").
MIN_MASKED_LENGTH = 4


def mask_text(text: str, secrets: Iterable[str], *, min_length: int = MIN_MASKED_LENGTH) -> str:
    """`text` with every occurrence of each secret (longest first) replaced by a placeholder.

    Secrets shorter than `min_length` are left in the text (see MIN_MASKED_LENGTH).
    """
    for secret in sorted(_maskable(secrets, min_length), key=len, reverse=True):
        text = text.replace(secret, SENSITIVE)
    return text


def _maskable(secrets: Iterable[str], min_length: int = MIN_MASKED_LENGTH) -> set[str]:
    return {s for s in secrets if isinstance(s, str) and len(s) >= max(min_length, 1)}


class _Walker:
    """One walk over Terraform's JSON along its sensitivity markers.

    Every string under a marker lands in `found`; with `redact` the marked values are
    replaced too (on the caller's copy), without it the document is left as it is.
    """

    def __init__(self, *, redact: bool) -> None:
        self.redact = redact
        self.found: set[str] = set()

    def hide(self, value: Any, marker: Any) -> Any:
        """`value` with the parts `marker` (true, or a mirror of its shape) flags hidden."""
        if marker is True:
            self._collect(value)
            return SENSITIVE if self.redact else value
        if isinstance(marker, dict) and isinstance(value, dict):
            hidden: Any = {k: self.hide(v, marker.get(k, False)) for k, v in value.items()}
        elif isinstance(marker, list) and isinstance(value, list):
            hidden = [
                self.hide(v, marker[i] if i < len(marker) else False) for i, v in enumerate(value)
            ]
        else:
            return value
        return hidden if self.redact else value

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

    def document(self, doc: dict) -> None:
        """`terraform show -json` output (plan or state): every place it keeps values."""
        declared = ((doc.get("configuration") or {}).get("root_module") or {}).get(
            "variables"
        ) or {}
        given = doc.get("variables") or {}
        for name, declaration in declared.items():
            if isinstance(declaration, dict) and declaration.get("sensitive"):
                if "default" in declaration:
                    declaration["default"] = self.hide(declaration["default"], True)
                if isinstance(given.get(name), dict) and "value" in given[name]:
                    given[name]["value"] = self.hide(given[name]["value"], True)
        self.values_tree(doc.get("values"))  # state
        self.values_tree(doc.get("planned_values"))
        self.values_tree((doc.get("prior_state") or {}).get("values"))
        for key in ("resource_changes", "resource_drift"):
            for item in doc.get(key) or []:
                self.change(item.get("change") if isinstance(item, dict) else None)
        for change in (doc.get("output_changes") or {}).values():
            self.change(change)


def redact_json(doc: Any, secrets: Iterable[str] = ()) -> Any:
    """A copy of `terraform show -json` (plan or state) output with sensitive values masked."""
    doc = copy.deepcopy(doc)
    if not isinstance(doc, dict):
        return doc
    walker = _Walker(redact=True)
    walker.document(doc)
    return _scrub(doc, _maskable([*walker.found, *secrets]))


def _mask_forms(value: str) -> set[str]:
    """The ways a string can appear in Terraform's plan text: raw, quoted-escaped, per line."""
    forms = {value, json.dumps(value, ensure_ascii=False)[1:-1], value.replace("${", "$${")}
    forms.update(line.strip() for line in value.splitlines())
    return _maskable(forms)


def sensitive_values(show_json: Any) -> frozenset[str]:
    """Every sensitive string in `terraform show -json` output, to mask in the plan text.

    Found along the same markers `redact_json` follows, in every form the text plan may
    show it (see `_mask_forms`); the document itself is not changed. The result holds
    secrets: pass it to `render_plan_markdown(mask=...)` and nowhere else.
    """
    if not isinstance(show_json, dict):
        return frozenset()
    walker = _Walker(redact=False)
    walker.document(show_json)
    masks: set[str] = set()
    for value in walker.found:
        masks.update(_mask_forms(value))
    return frozenset(masks)


def redact_outputs(outputs: Any, secrets: Iterable[str] = ()) -> Any:
    """A copy of `terraform output -json` with sensitive outputs' values masked."""
    outputs = copy.deepcopy(outputs)
    if not isinstance(outputs, dict):
        return outputs
    walker = _Walker(redact=True)
    for output in outputs.values():
        if isinstance(output, dict) and output.get("sensitive") and "value" in output:
            output["value"] = walker.hide(output["value"], True)
    return _scrub(outputs, _maskable([*walker.found, *secrets]))


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
