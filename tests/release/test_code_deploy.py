"""deploy-code's core against a real emulator: only changed code moves (S3 key and
metadata as the module stores them, or a direct zip), and every change that is not code is
refused, named, with `deployer apply ENV` as the fix."""

from __future__ import annotations

import pytest
from helpers.release_stack import Deployed

from deployer.common import DeployerError, UserInputError
from deployer.release import SETTINGS_TAG, deploy_code, plan_code_deploy


def test_an_edited_handler_moves_only_its_own_function(deployed):
    before = {fn: deployed.live(fn) for fn in ("items", "health")}
    deployed.edit("items")
    result = deploy_code(deployed.project, "local", deployed.environ(), deployed.outputs())

    assert [d.change.function for d in result.deployed] == ["items"]
    assert result.unchanged == ("health",)
    done = result.deployed[0]
    assert (done.change.live_version, done.version, done.uploaded) == ("1", "2", True)
    items = deployed.live("items")
    assert items["Version"] == "2" and items["CodeSha256"] == done.change.code_sha256
    assert items["CodeSha256"] != before["items"]["CodeSha256"]
    assert deployed.live("health") == before["health"]
    # Stored where Terraform stores it, with the metadata and tags it compares.
    s3 = deployed.client("s3")
    key = f"{deployed.names['items']}/package.zip"
    head = s3.head_object(Bucket=deployed.bucket, Key=key)
    assert head["Metadata"] == {"code-sha256": done.change.code_sha256}
    tags = s3.get_object_tagging(Bucket=deployed.bucket, Key=key)["TagSet"]
    assert {t["Key"]: t["Value"] for t in tags} == {"function": "items", "managed-by": "deployer"}
    assert result.as_dict()["deployed"][0]["previous_version"] == "1"


def test_nothing_changed_deploys_nothing(deployed):
    result = deploy_code(deployed.project, "local", deployed.environ(), deployed.outputs())
    assert result.deployed == () and result.unchanged == ("health", "items")
    assert deployed.live("items")["Version"] == "1"


def test_without_a_packages_bucket_the_zip_goes_with_the_call(emulated, tmp_path):
    project, server = emulated
    deployed = Deployed.create(project, server, tmp_path, in_s3=False)
    deployed.edit("health", "direct")
    result = deploy_code(
        deployed.project, "local", deployed.environ(), deployed.outputs(), ["health"]
    )
    assert [d.version for d in result.deployed] == ["2"]
    assert deployed.live("health")["CodeSha256"] == result.deployed[0].change.code_sha256


def test_a_settings_change_is_refused_naming_the_setting_and_the_file(deployed):
    manifest = deployed.project.root / "lambda_src" / "items" / "function.toml"
    manifest.write_text("memory = 512\ntimeout = 9\n", encoding="utf-8")
    deployed.edit("items")
    with pytest.raises(DeployerError) as caught:
        deploy_code(deployed.project, "local", deployed.environ(), deployed.outputs())
    message = caught.value.message
    assert "items: memory, timeout changed in lambda_src/items/function.toml" in message
    assert message.endswith("run deployer apply local.")
    assert deployed.live("items")["Version"] == "1"  # nothing moved


def test_a_route_change_is_refused_even_though_lambda_cannot_show_it(deployed):
    manifest = deployed.project.root / "lambda_src" / "health" / "function.toml"
    manifest.write_text('[[routes]]\nroute = "GET /health"\nauth = "none"\n', encoding="utf-8")
    with pytest.raises(DeployerError, match=r"health: routes, access or environment changed"):
        deploy_code(deployed.project, "local", deployed.environ(), deployed.outputs())


def test_new_and_removed_functions_are_refused(deployed):
    from helpers.function_projects import simple_function, write_files

    write_files(deployed.project.root / "lambda_src" / "orders", simple_function())
    outputs = deployed.outputs()
    outputs["function_names"]["gone"] = "x-local-gone"
    with pytest.raises(DeployerError) as caught:
        deploy_code(deployed.project, "local", deployed.environ(), outputs)
    message = caught.value.message
    assert "new function orders (lambda_src/orders/function.toml)" in message
    assert "removed function gone" in message
    # Naming the functions to deploy leaves the others to the next apply.
    deployed.edit("items")
    result = deploy_code(deployed.project, "local", deployed.environ(), outputs, ["items"])
    assert [d.change.function for d in result.deployed] == ["items"]


def test_a_function_applied_without_the_settings_digest_needs_one_apply(deployed):
    lam = deployed.client("lambda")
    arn = lam.get_function(FunctionName=deployed.names["health"])["Configuration"]["FunctionArn"]
    lam.untag_resource(Resource=arn, TagKeys=[SETTINGS_TAG])
    with pytest.raises(DeployerError, match=r"health was applied without its settings digest"):
        plan_code_deploy(deployed.project, "local", deployed.environ(), deployed.outputs())


def test_an_unknown_function_or_a_stack_never_applied_is_one_line(deployed):
    with pytest.raises(UserInputError, match=r"No function named 'itemz'.*did you mean \"items\""):
        plan_code_deploy(
            deployed.project, "local", deployed.environ(), deployed.outputs(), ["itemz"]
        )
    with pytest.raises(DeployerError, match=r"no functions deployed yet: run deployer apply"):
        plan_code_deploy(deployed.project, "local", deployed.environ(), {})


def test_after_a_rollback_the_same_code_brings_live_forward(deployed):
    from deployer.release import apply_rollback, plan_rollback

    deployed.edit("items")
    env = deployed.environ()
    deploy_code(deployed.project, "local", env, deployed.outputs())
    apply_rollback(env, plan_rollback(deployed.project, "local", env, "items"))
    assert deployed.live("items")["Version"] == "1"
    result = deploy_code(deployed.project, "local", env, deployed.outputs())
    assert [d.uploaded for d in result.deployed] == [False]  # the code is there: no upload
    assert deployed.live("items")["CodeSha256"] == result.deployed[0].change.code_sha256
