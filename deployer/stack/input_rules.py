"""A copy of the root stack that holds only its rules on inputs, for Terraform to plan offline.

Terraform refuses bad variable values at plan time: type conversions, `validation` blocks
(the root stack's and those of the modules it calls, with the values it passes them),
and `precondition` blocks. A real plan needs the cloud (providers, credentials, state);
these rules do not. So this module writes a copy of `terraform/` and of every local module
it calls that keeps, line for line, only:

- `variable` blocks (types, defaults, validations) and `locals`, as written;
- `module` calls, as written, each calling the copy of its module;
- each resource's, data source's and output's preconditions, on a `terraform_data`
  resource with the same `count` or `for_each` (an output keeps its own block).

Everything else (providers, resources, data sources, backends, checks) is blank lines,
so a line number in the copy is the line number in the original file. A reference to
anything that only a real plan knows (`module.*`, `data.*`, a resource) becomes a value
Terraform does not know yet, as in a real plan where the resource is still to be
created: a rule that reads it is skipped, as Terraform skips it there. `path.module`
and `path.root` become the original folders, so `file()` reads the same files.

`terraform plan` of the copy needs no provider and no credentials, and takes a fraction
of a second; `plan_inputs` runs it and reports what Terraform says about the inputs.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from deployer.common import atomic_write
from deployer.config import read_hcl

# What Terraform does not know before apply; jsondecode of an unknown string is a value
# of unknown type, which converts to any type a variable declares.
UNKNOWN_NAME = "deployer_unknown"
UNKNOWN = f"local.{UNKNOWN_NAME}"
UNKNOWN_FILE = "deployer_unknown.tf"
UNKNOWN_LOCALS = f"locals {{\n  {UNKNOWN_NAME} = jsondecode(timestamp())\n}}\n"
RECORD = "sources.json"
FORMAT = 1  # of the copy: a copy written by another version of these rules is made again
MAX_DEPTH = 8  # module calls below the root stack; deeper ones are left out
_KEPT_IN_RESOURCES = ("count", "for_each")
_RESOURCE_KINDS = {"resource": "r", "data": "d", "ephemeral": "e"}
_SOURCE = re.compile(r'source\s*=\s*"(?P<path>[^"\\$]*)"\s*', re.DOTALL)


@dataclass(frozen=True)
class RulesCopy:
    """Where the copy lies and what it was made from."""

    root: Path  # the copy of the root stack: Terraform's working dir
    originals: dict[Path, Path] = field(default_factory=dict)  # copy folder -> original
    module_calls: tuple[tuple[str, str], ...] = ()  # (copy folder, source): what init reads


class _Module:
    """One module folder being copied: its files, parsed, and what they declare."""

    def __init__(self, folder: Path, root: Path | None) -> None:
        self.folder = folder.resolve()
        self.files = []
        for tf in sorted(folder.glob("*.tf")):
            text = tf.read_text(encoding="utf-8").removeprefix("\ufeff")
            self.files.append((tf, text, read_hcl(tf, root=root)))
        self.resources = {
            (item.labels[0], item.labels[1])
            for _, _, doc in self.files
            for item in doc.body
            if item.kind == "block" and item.name == "resource" and len(item.labels) == 2
        }

    def rewritten(self, parts: tuple[str, ...], terraform_dir: Path) -> str | None:
        """What a reference becomes in the copy; None: it stays as written."""
        if parts[0] in ("module", "data", "ephemeral"):
            return UNKNOWN
        if len(parts) >= 2 and (parts[0], parts[1]) in self.resources:
            return UNKNOWN
        if len(parts) == 2 and parts[0] == "path" and parts[1] in ("module", "root", "cwd"):
            folder = self.folder if parts[1] == "module" else terraform_dir
            return json.dumps(folder.as_posix())
        return None


def _blank(text: str) -> str:
    return "\n" * text.count("\n")


def _replacement(original: str, new: str) -> str:
    """`new` in place of `original`, keeping the line count (newlines go in a comment)."""
    breaks = original.count("\n")
    return new + (f"/*{chr(10) * breaks}*/" if breaks else "")


class _Copier:
    def __init__(self, dest: Path, root: Path | None, terraform_dir: Path) -> None:
        self.dest = dest
        self.root = root
        self.terraform_dir = terraform_dir
        self.originals: dict[Path, Path] = {}
        self.module_calls: list[tuple[str, str]] = []
        self.sources: dict[str, str] = {}
        self.written: set[Path] = set()

    def copy(self, folder: Path, target: Path, call: tuple[str, ...]) -> None:
        module = _Module(folder, self.root)
        self.originals[target] = folder
        self.sources.update(
            {str(tf): hashlib.sha256(text.encode()).hexdigest() for tf, text, _ in module.files}
        )
        self.sources[f"{folder}/*.tf"] = ",".join(tf.name for tf, _, _ in module.files)
        for tf, text, doc in module.files:
            edits: list[tuple[int, int, str]] = []
            for item in doc.body:
                edits.extend(self._item_edits(module, item, text, target, call))
            for ref in doc.references:
                new = module.rewritten(ref.parts, self.terraform_dir)
                if new is not None:
                    edits.append((ref.start, ref.end, _replacement(text[ref.start : ref.end], new)))
            self._write(target / tf.name, _apply(text, edits))
        self._write(target / UNKNOWN_FILE, UNKNOWN_LOCALS)

    def _item_edits(self, module, item, text, target, call) -> list[tuple[int, int, str]]:
        span = (item.start, item.end)
        whole_blank = [(*span, _blank(text[item.start : item.end]))]
        if item.kind != "block" or item.name in ("variable", "locals"):
            return [] if item.kind == "block" else whole_blank
        if item.name == "module" and len(item.labels) == 1:
            return self._module_edits(module, item, text, target, call) or whole_blank
        if item.name == "output" and _preconditions(item):
            return _drop_children(item, text, keep=lambda c: c.name != "depends_on")
        if item.name in _RESOURCE_KINDS and len(item.labels) == 2 and _preconditions(item):
            kind = _RESOURCE_KINDS[item.name]
            name = f"{kind}__{item.labels[0]}__{item.labels[1]}"
            header = text[item.start : item.open]
            edits = [
                (
                    item.start,
                    item.open,
                    _replacement(header, f'resource "terraform_data" "{name}" '),
                )
            ]
            for child in item.children:
                if child.kind == "attribute" and child.name in _KEPT_IN_RESOURCES:
                    continue
                if child.kind == "block" and child.name == "lifecycle":
                    edits.extend(
                        _drop_children(child, text, keep=lambda c: c.name == "precondition")
                    )
                    continue
                edits.append((child.start, child.end, _blank(text[child.start : child.end])))
            return edits
        return whole_blank

    def _module_edits(self, module, item, text, target, call) -> list[tuple[int, int, str]]:
        """A local module's call, calling its copy; [] for any other (left out)."""
        source_item = next((c for c in item.children if c.name == "source"), None)
        written = text[source_item.start : source_item.end] if source_item else ""
        source = _SOURCE.fullmatch(written)
        if source is None or not source["path"].startswith(("./", "../")):
            return []
        child_folder = (module.folder / source["path"]).resolve()
        if len(call) >= MAX_DEPTH or not child_folder.is_dir():
            return []
        name = item.labels[0]
        child_target = self.dest / "modules" / ".".join((*call, name))
        self.copy(child_folder, child_target, (*call, name))
        relative = Path(os.path.relpath(child_target, target)).as_posix()
        relative = relative if relative.startswith("..") else f"./{relative}"
        self.module_calls.append((str(target), relative))
        dropped = ("version", "providers", "depends_on")
        edits = _drop_children(item, text, keep=lambda c: c.name not in dropped)
        new = _replacement(written, f"source = {json.dumps(relative)}")
        edits.append((source_item.start, source_item.end, new))
        return edits

    def _write(self, path: Path, text: str) -> None:
        atomic_write(path, text, only_if_changed=True)
        self.written.add(path)


def _preconditions(item) -> bool:
    return any(
        c.kind == "block"
        and (c.name == "precondition" or (c.name == "lifecycle" and _preconditions(c)))
        for c in item.children
    )


def _drop_children(item, text: str, *, keep) -> list[tuple[int, int, str]]:
    return [(c.start, c.end, _blank(text[c.start : c.end])) for c in item.children if not keep(c)]


def _apply(text: str, edits: list[tuple[int, int, str]]) -> str:
    """`text` with each (start, end, new) edit applied; an edit inside an earlier one is moot."""
    out, at = [], 0
    for start, end, new in sorted(edits, key=lambda e: (e[0], -e[1])):
        if start < at:
            continue
        out.append(text[at:start])
        out.append(new)
        at = end
    out.append(text[at:])
    return "".join(out)


def _unchanged(dest: Path) -> RulesCopy | None:
    """The copy made last time, if none of the files it was made from changed since."""
    try:
        record = json.loads((dest / RECORD).read_text(encoding="utf-8"))
        if record["format"] != FORMAT or not all(Path(p).is_file() for p in record["written"]):
            return None
        for key, digest in record["sources"].items():
            if key.endswith("/*.tf"):
                names = ",".join(p.name for p in sorted(Path(key[:-5]).glob("*.tf")))
                if names != digest:
                    return None
            elif hashlib.sha256(Path(key).read_bytes()).hexdigest() != digest:
                return None
        return RulesCopy(
            root=Path(record["root"]),
            originals={Path(k): Path(v) for k, v in record["originals"].items()},
            module_calls=tuple(tuple(c) for c in record["module_calls"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_rules_copy(terraform_dir: Path, dest: Path, *, root: Path | None = None) -> RulesCopy:
    """Write (or keep, when its sources did not change) the copy of `terraform_dir` in `dest`."""
    found = _unchanged(dest)
    if found is not None:
        return found
    copier = _Copier(dest, root, terraform_dir)
    target = dest / "stack"
    copier.copy(terraform_dir, target, ())
    for stale in dest.glob("**/*.tf"):
        if stale not in copier.written:
            stale.unlink()
    copy = RulesCopy(
        root=target,
        originals=copier.originals,
        module_calls=tuple(sorted(copier.module_calls)),
    )
    record = {
        "format": FORMAT,
        "sources": copier.sources,
        "root": str(copy.root),
        "originals": {str(k): str(v) for k, v in copy.originals.items()},
        "module_calls": [list(c) for c in copy.module_calls],
        "written": sorted(str(p) for p in copier.written),
    }
    atomic_write(dest / RECORD, json.dumps(record, indent=1, sort_keys=True) + "\n")
    return copy
