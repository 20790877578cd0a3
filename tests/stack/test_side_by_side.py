"""`plan --all`: environments planned side by side, their output never mixed."""

from __future__ import annotations

from pathlib import Path

from deployer.config.project import find_project
from deployer.stack.side_by_side import plan_many, plannable_environments


def test_plannable_environments_leave_out_the_emulated_ones(stack_project: Path) -> None:
    pyproject = stack_project / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace("emulated = []", 'emulated = ["qa"]'), encoding="utf-8"
    )
    assert plannable_environments(find_project(stack_project)) == ["dev", "prod"]


def test_plan_many_keeps_each_environments_output_together(stack_project: Path) -> None:
    (stack_project / "envs" / "qa.tfvars").write_text('greting = "typo"\n', encoding="utf-8")
    project = find_project(stack_project)
    finished = []
    results = plan_many(project, ["dev", "qa", "prod"], on_done=finished.append)

    assert [r.environment for r in results] == ["dev", "qa", "prod"]
    assert sorted(r.environment for r in finished) == ["dev", "prod", "qa"]
    dev, qa, prod = results
    for result, other in ((dev, "prod"), (prod, "dev")):
        text = "\n".join(line for line, _ in result.lines)
        assert result.planned is not None and result.planned.has_changes
        assert f'"hello {result.environment}"' in text  # its own plan...
        assert f'"hello {other}"' not in text  # ...and nothing of another environment's
    assert qa.planned is None and qa.exit_code == 2
    assert 'did you mean "greeting"' in qa.error
    assert qa.lines == []  # Terraform never ran for it
    assert (stack_project / ".deployer/dev/plan.tfplan").is_file()
    assert (stack_project / ".deployer/prod/plan.tfplan").is_file()
