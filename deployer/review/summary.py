"""What a saved Terraform plan will change: addresses and actions, never values.

`summarize_plan` reads the output of `terraform show -json <planfile>`. That JSON holds
every attribute value in clear, sensitive ones included, so a summary never copies a
value: it is only resource addresses, output names and the action on each.

`sensitive_values` is the one reader of values here, and only so they can be masked: the
human-readable plan (`terraform show`) masks what Terraform knows is sensitive, but a value
derived from a sensitive one by a provider (e.g. `terraform_data.output` from a sensitive
`input`) can appear there in clear.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from deployer.common import DeployerError

# The actions counted in every summary, in the order people read them.
COUNTED_ACTIONS = ("create", "update", "replace", "delete")
# Actions that lose something that exists today.
DESTRUCTIVE_ACTIONS = ("replace", "delete")

# `change.actions` in Terraform's JSON plan format -> one action word.
_ACTIONS = {
    ("create",): "create",
    ("update",): "update",
    ("delete",): "delete",
    ("delete", "create"): "replace",  # destroy first, then create (the default)
    ("create", "delete"): "replace",  # create_before_destroy
    ("read",): "read",
    ("forget",): "forget",  # a `removed` block with destroy = false: leaves state only
    ("create", "forget"): "replace",  # replaced, the old object forgotten instead of destroyed
}


@dataclass(frozen=True)
class ResourceChange:
    """One resource instance (or output) and what the plan does to it."""

    address: str
    # "create" | "update" | "replace" | "delete" (counted), or "read" (a data source read
    # during apply), "forget" (removed from state only), "import", "move" (state only)
    action: str

    def as_dict(self) -> dict:
        return {"address": self.address, "action": self.action}


@dataclass(frozen=True)
class PlanSummary:
    """The changes of one plan, in the order Terraform lists them."""

    changes: tuple[ResourceChange, ...]
    # Root module outputs whose value changes; the address is `output.<name>`.
    output_changes: tuple[ResourceChange, ...] = ()

    @property
    def counts(self) -> dict[str, int]:
        """Resource changes per action: always the keys create, update, replace, delete."""
        counts = dict.fromkeys(COUNTED_ACTIONS, 0)
        for change in self.changes:
            if change.action in counts:
                counts[change.action] += 1
        return counts

    @property
    def has_changes(self) -> bool:
        """True when applying the plan would change anything (resources or outputs)."""
        return bool(self.changes or self.output_changes)

    @property
    def destructive(self) -> tuple[ResourceChange, ...]:
        """The changes that destroy an existing object: replacements and deletions."""
        return tuple(c for c in self.changes if c.action in DESTRUCTIVE_ACTIONS)

    def as_dict(self) -> dict:
        """The summary as plain JSON-ready data (for `--json`)."""
        return {
            "has_changes": self.has_changes,
            "counts": self.counts,
            "destructive": [c.address for c in self.destructive],
            "changes": [c.as_dict() for c in self.changes],
            "output_changes": [c.as_dict() for c in self.output_changes],
        }


def _action(actions: object, where: str) -> str | None:
    """The action word for a `change.actions` list; None for no-op."""
    if not isinstance(actions, list) or not all(isinstance(a, str) for a in actions):
        raise DeployerError(
            f"The plan JSON has no valid change.actions for {where}: "
            "re-create the plan with a supported Terraform (>= 1.7)."
        )
    if actions == ["no-op"]:
        return None
    action = _ACTIONS.get(tuple(actions))
    if action is None:
        raise DeployerError(
            f"The plan JSON has an unknown action {actions!r} for {where}: "
            "this Terraform is newer than the deployer understands; upgrade the deployer."
        )
    return action


def summarize_plan(show_json: dict) -> PlanSummary:
    """The summary of `terraform show -json <planfile>` output (addresses and actions only)."""
    if not isinstance(show_json, dict):
        raise DeployerError(
            "The plan JSON is not an object: pass the output of `terraform show -json <planfile>`."
        )
    changes = []
    for entry in show_json.get("resource_changes") or []:
        address = str(entry.get("address", "?"))
        if entry.get("deposed"):
            address = f"{address} (deposed object {entry['deposed']})"
        change = entry.get("change") or {}
        action = _action(change.get("actions"), address)
        if action is None and change.get("importing"):
            action = "import"  # no-op on the object, but the state gains it
        elif action is None and entry.get("previous_address", entry.get("address")) != (
            entry.get("address")
        ):
            action = "move"  # a `moved` block: only the state address changes
        if action is not None:
            changes.append(ResourceChange(address=address, action=action))
    outputs = []
    for name, change in sorted((show_json.get("output_changes") or {}).items()):
        address = f"output.{name}"
        action = _action((change or {}).get("actions"), address)
        if action is not None:
            outputs.append(ResourceChange(address=address, action=action))
    return PlanSummary(changes=tuple(changes), output_changes=tuple(outputs))


# Shorter sensitive strings are not masked: replacing every "on" or "1" in the plan text
# would make it unreadable, and values that short are not secrets worth the name.
MIN_MASKED_LENGTH = 4


def _marked_strings(value: object, mark: object, found: set[str]) -> None:
    """Add every string in `value` that `mark` (Terraform's *_sensitive shape) marks."""
    if mark is True:
        _all_strings(value, found)
    elif isinstance(mark, dict) and isinstance(value, dict):
        for key, sub_mark in mark.items():
            if key in value:
                _marked_strings(value[key], sub_mark, found)
    elif isinstance(mark, list) and isinstance(value, list):
        for sub_value, sub_mark in zip(value, mark, strict=False):
            _marked_strings(sub_value, sub_mark, found)


def _all_strings(value: object, found: set[str]) -> None:
    if isinstance(value, str):
        found.add(value)
    elif isinstance(value, dict):
        for sub in value.values():
            _all_strings(sub, found)
    elif isinstance(value, list):
        for sub in value:
            _all_strings(sub, found)


def _module_values(module: object, found: set[str]) -> None:
    """Sensitive strings of a `values.root_module` tree (prior state or planned values)."""
    if not isinstance(module, dict):
        return
    for resource in module.get("resources") or []:
        _marked_strings(resource.get("values"), resource.get("sensitive_values"), found)
    for child in module.get("child_modules") or []:
        _module_values(child, found)


def _state_values(values: object, found: set[str]) -> None:
    if not isinstance(values, dict):
        return
    for output in (values.get("outputs") or {}).values():
        if isinstance(output, dict) and output.get("sensitive"):
            _all_strings(output.get("value"), found)
    _module_values(values.get("root_module"), found)


def _mask_forms(value: str) -> set[str]:
    """The ways a string can appear in Terraform's plan text: raw, quoted-escaped, per line."""
    forms = {value, json.dumps(value, ensure_ascii=False)[1:-1], value.replace("${", "$${")}
    forms.update(line.strip() for line in value.splitlines())
    return {form for form in forms if len(form) >= MIN_MASKED_LENGTH}


def sensitive_values(show_json: dict) -> frozenset[str]:
    """Every sensitive string in `terraform show -json` output, to mask in the plan text.

    The result holds secrets: pass it to `render_plan_markdown(mask=...)` and nowhere else.
    """
    if not isinstance(show_json, dict):
        return frozenset()
    found: set[str] = set()
    for entry in show_json.get("resource_changes") or []:
        change = entry.get("change") or {}
        _marked_strings(change.get("before"), change.get("before_sensitive"), found)
        _marked_strings(change.get("after"), change.get("after_sensitive"), found)
    for change in (show_json.get("output_changes") or {}).values():
        if isinstance(change, dict):
            _marked_strings(change.get("before"), change.get("before_sensitive"), found)
            _marked_strings(change.get("after"), change.get("after_sensitive"), found)
    declared = ((show_json.get("configuration") or {}).get("root_module") or {}).get(
        "variables"
    ) or {}
    for name, variable in (show_json.get("variables") or {}).items():
        if (declared.get(name) or {}).get("sensitive") and isinstance(variable, dict):
            _all_strings(variable.get("value"), found)
    _state_values((show_json.get("prior_state") or {}).get("values"), found)
    _state_values(show_json.get("planned_values"), found)
    masks: set[str] = set()
    for value in found:
        masks.update(_mask_forms(value))
    return frozenset(masks)
