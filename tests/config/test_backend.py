"""`envs/<env>.backend.hcl`: bucket, region and key, and every mistake named by file and field."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.backend_projects import write_project

from deployer.common.errors import UserInputError
from deployer.config.backend import read_backend_config


def test_missing_backend_file(tmp_path: Path):
    project = write_project(tmp_path / "proj")
    with pytest.raises(UserInputError, match=r"envs/qa\.backend\.hcl is missing"):
        read_backend_config(project, "qa")


def test_backend_config_is_read_from_hcl(tmp_path: Path):
    project = write_project(
        tmp_path / "p",
        'bucket = "b-1"\nkey = "local/terraform.tfstate"\nregion = "us-east-2"\n'
        "use_lockfile = true\nencrypt = true\nuse_path_style = true # comment\n",
    )
    config = read_backend_config(project, "dev")
    assert (config.bucket, config.region, config.key, config.use_path_style) == (
        "b-1",
        "us-east-2",
        "local/terraform.tfstate",
        True,
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('key = "k"\nregion = "eu-west-1"\n', "dev.backend.hcl: bucket is missing"),
        ('bucket = "b"\nkey = "k"\n', "dev.backend.hcl: region is missing"),
        ('bucket = "b\nregion = \n', r"dev\.backend\.hcl:\d+: not valid HCL"),
    ],
)
def test_bad_backend_files_name_the_file_and_field(tmp_path: Path, text: str, message: str):
    project = write_project(tmp_path / "p", text)
    with pytest.raises(UserInputError, match=message):
        read_backend_config(project, "dev")
