"""Finding the `terraform` binary and checking its version (deployer.terraform.binary)."""

from __future__ import annotations

import pytest

from deployer.common.errors import DeployerError
from deployer.terraform.adapter import Terraform


def test_missing_or_old_terraform_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(DeployerError, match="terraform was not found on PATH"):
        Terraform(tmp_path, data_dir=tmp_path / "d")
    old = tmp_path / "terraform"
    old.write_text('#!/bin/sh\necho \'{"terraform_version": "1.5.7"}\'\n', encoding="utf-8")
    old.chmod(0o755)
    with pytest.raises(DeployerError, match=r"older than 1\.10"):
        Terraform(tmp_path, data_dir=tmp_path / "d")
    # 1.9 has mock providers but not the S3 backend's use_lockfile: still too old.
    old.write_text('#!/bin/sh\necho \'{"terraform_version": "1.9.8"}\'\n', encoding="utf-8")
    with pytest.raises(DeployerError, match=r"Terraform 1\.9\.8, older than 1\.10"):
        Terraform(tmp_path, data_dir=tmp_path / "d")
