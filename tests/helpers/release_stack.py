"""Functions of a small project deployed in a running emulator with boto3, as the root stack
leaves them (tests/release/, tests/cli/test_release.py): the zip in a packages bucket at the
module's key with its code-sha256 metadata and tags, the function tagged with its settings
digest, a published version and `live` on it."""

from __future__ import annotations

import itertools
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from deployer.config import Project, find_project
from deployer.packaging import build
from helpers.emulator import aws, lambda_role
from helpers.function_projects import simple_function, write_files

_RUN = itertools.count()


@dataclass
class Deployed:
    project: Project
    server: object
    env: str = "local"
    bucket: str | None = None
    names: dict[str, str] = field(default_factory=dict)

    @classmethod
    def create(cls, base: Project, server, tmp_path: Path, *, in_s3: bool = True) -> Deployed:
        """`base`'s pyproject and envs with two functions, items and health, deployed.

        Each call uses its own app name, so tests sharing one emulator never meet.
        """
        root = tmp_path / "proj"
        shutil.copytree(base.root, root, ignore=shutil.ignore_patterns(".deployer"))
        app = f"rel{next(_RUN)}x{tmp_path.name[-6:].replace('_', '')}".lower()
        pyproject = root / "pyproject.toml"
        pyproject.write_text(
            pyproject.read_text().replace('app = "demo"', f'app = "{app}"'), encoding="utf-8"
        )
        return cls.in_place(find_project(root), server, in_s3=in_s3)

    @classmethod
    def in_place(cls, project: Project, server, *, in_s3: bool = True) -> Deployed:
        """The two functions written into `project` itself and deployed (the CLI finds the
        emulator by the project, so its tests use the emulator's own project)."""
        write_files(project.root / "lambda_src" / "items", simple_function("memory = 256\n"))
        write_files(project.root / "lambda_src" / "health", simple_function())
        deployed = cls(find_project(project.root), server)
        deployed.bucket = f"{project.settings.app}-packages" if in_s3 else None
        deployed.apply()
        return deployed

    def client(self, service: str):
        return aws(self.server, service)

    def outputs(self) -> dict:
        return {"function_names": dict(self.names), "packages_bucket": self.bucket}

    def apply(self) -> None:
        """What `deployer apply` leaves: every function at this build's code and settings."""
        functions = build(self.project, progress=False).manifest["functions"]
        lam, s3 = self.client("lambda"), self.client("s3")
        if self.bucket:
            s3.create_bucket(
                Bucket=self.bucket,
                CreateBucketConfiguration={"LocationConstraint": "eu-west-1"},
            )
        role = lambda_role(self.server)
        for fn, entry in functions.items():
            name = f"{self.project.settings.app}-{self.env}-{fn}"
            data = (self.project.root / entry["zip_path"]).read_bytes()
            if self.bucket:
                s3.put_object(
                    Bucket=self.bucket,
                    Key=f"{name}/package.zip",
                    Body=data,
                    Metadata={"code-sha256": entry["source_code_hash"]},
                    Tagging=f"function={fn}&managed-by=deployer",
                )
            lam.create_function(
                FunctionName=name,
                Runtime=entry["runtime"],
                Role=role,
                Handler=entry["handler"],
                Code={"ZipFile": data},
                MemorySize=entry["memory"],
                Timeout=entry["timeout"],
                Description=entry["description"],
                Architectures=[entry["architecture"]],
                Publish=True,
                Tags={"function": fn, "deployer:settings-sha256": entry["settings_sha256"]},
            )
            lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
            self.names[fn] = name

    def edit(self, function: str, text: str = "changed") -> None:
        handler = self.project.root / "lambda_src" / function / "handler.py"
        handler.write_text(
            f"def handler(event, context):\n    return {{'body': {text!r}}}\n", encoding="utf-8"
        )

    def live(self, function: str) -> dict:
        lam = self.client("lambda")
        return lam.get_function(FunctionName=self.names[function], Qualifier="live")[
            "Configuration"
        ]

    def environ(self) -> dict[str, str]:
        return {
            "AWS_ENDPOINT_URL": self.server.endpoint,
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_REGION": "eu-west-1",
        }
