"""Which saved files mean new code for one function, and which mean Terraform
(deployer/devloop/changes.py)."""

from __future__ import annotations

from pathlib import Path

from deployer.devloop import classify

FUNCTIONS = ["items", "health"]


def sort(root: Path, *paths: str, make: tuple[str, ...] = ()):
    for folder in make:
        (root / "lambda_src" / folder).mkdir(parents=True, exist_ok=True)
        (root / "lambda_src" / folder / "function.toml").write_text("", encoding="utf-8")
    return classify(root, "local", [root / p for p in paths], FUNCTIONS, lambda_dir="lambda_src")


def test_a_handler_or_its_requirements_is_new_code_for_that_function_only(tmp_path):
    changes = sort(tmp_path, "lambda_src/items/handler.py", "lambda_src/items/requirements.txt")
    assert changes.code == {
        "items": ["lambda_src/items/handler.py", "lambda_src/items/requirements.txt"]
    }
    assert changes.terraform == []


def test_shared_code_is_new_code_for_every_function(tmp_path):
    changes = sort(tmp_path, "lambda_src/_shared/api_errors.py")
    assert sorted(changes.code) == ["health", "items"]


def test_a_manifest_terraform_or_the_tfvars_run_terraform(tmp_path):
    for path in (
        "lambda_src/items/function.toml",
        "terraform/main.tf",
        "modules/http_api/main.tf",
        "envs/local.tfvars",
    ):
        changes = sort(tmp_path, path, "lambda_src/items/handler.py")
        assert changes.terraform == [path], path
        assert changes.code == {}, "the apply deploys the code too"


def test_a_new_function_folder_runs_terraform(tmp_path):
    changes = sort(tmp_path, "lambda_src/orders/handler.py", make=("orders",))
    assert changes.terraform == ["lambda_src/orders/handler.py"]


def test_tests_caches_editor_files_and_other_environments_are_ignored(tmp_path):
    changes = sort(
        tmp_path,
        "lambda_src/items/tests/test_handler.py",
        "lambda_src/items/__pycache__/handler.cpython-312.pyc",
        "lambda_src/items/.handler.py.swp",
        "lambda_src/items/handler.py~",
        "envs/dev.tfvars",
        ".deployer/build/items.zip",
        "README.md",
        "lambda_src/not_a_function/notes.txt",
    )
    assert changes.empty
