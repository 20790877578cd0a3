"""What a saved Terraform plan will change: addresses and actions, never values.

`summarize_plan` reads the output of `terraform show -json <planfile>`. That JSON holds
every attribute value in clear, sensitive ones included, so a summary never copies a
value: it is only resource addresses, output names and the action on each.

The values to mask in the human-readable plan come from `deployer.terraform`'s
`sensitive_values`, with the rest of the masking (importable from here too, as before).
"""

from __future__ import annotations

from dataclasses import dataclass

from deployer.common import DeployerError
from deployer.terraform import sensitive_values  # noqa: F401 (importable from here, as before)

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
    # Changes worth saying in words (e.g. an alias moved back to the latest version).
    notes: tuple[str, ...] = ()

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
            "notes": list(self.notes),
        }


def _action(actions: object, where: str) -> str | None:
    """The action word for a `change.actions` list; None for no-op."""
    if not isinstance(actions, list) or not all(isinstance(a, str) for a in actions):
        raise DeployerError(
            f"The plan JSON has no valid change.actions for {where}: "
            "re-create the plan with a supported Terraform (>= 1.10)."
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


def _alias_move(entry: dict) -> str | None:
    """An alias update that moves it between two known versions, in words.

    Only Lambda aliases, and only their function name and version numbers, which are never
    secret (an attribute marked sensitive is left out all the same). A new apply of new
    code shows the version as unknown: this names only the move a rollback or a code-only
    deploy leaves for the next plan.
    """
    if entry.get("type") != "aws_lambda_alias":
        return None
    change = entry.get("change") or {}
    before, after = change.get("before") or {}, change.get("after") or {}
    if any(
        isinstance(marks, dict) and (marks.get("function_version") or marks.get("function_name"))
        for marks in (change.get("before_sensitive"), change.get("after_sensitive"))
    ):
        return None
    old, new = before.get("function_version"), after.get("function_version")
    if not (isinstance(old, str) and isinstance(new, str)) or old == new:
        return None
    function = after.get("function_name") or before.get("function_name") or "?"
    alias = after.get("name") or before.get("name") or "alias"
    return (
        f"moves {alias} of {function} from version {old} to {new} "
        "(undoes a rollback or a code-only deploy)"
    )


def summarize_plan(show_json: dict) -> PlanSummary:
    """The summary of `terraform show -json <planfile>` output (addresses and actions only)."""
    if not isinstance(show_json, dict):
        raise DeployerError(
            "The plan JSON is not an object: pass the output of `terraform show -json <planfile>`."
        )
    changes, notes = [], []
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
        if action == "update" and (note := _alias_move(entry)):
            notes.append(note)
    outputs = []
    for name, change in sorted((show_json.get("output_changes") or {}).items()):
        address = f"output.{name}"
        action = _action((change or {}).get("actions"), address)
        if action is not None:
            outputs.append(ResourceChange(address=address, action=action))
    return PlanSummary(changes=tuple(changes), output_changes=tuple(outputs), notes=tuple(notes))
