"""tfvars checks: every error names the file, the line or variable, and the fix."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from helpers.paths import REPO_ROOT

from deployer.common.errors import UserInputError
from deployer.stack.tfvars_check import (
    check_functions,
    check_tfvars,
    declared_variables,
    find_line,
    is_secret_name,
)

VARIABLES = """
variable "app" {
  type = string
}
variable "environment" {
  type = string
}
variable "functions" {
  type    = any
  default = {}
}
variable "region" {
  type    = string
  default = "eu-west-1"
}
variable "log_retention_days" {
  type    = number
  default = 30
}
variable "owner" {
  description = "Required: no default."
  type        = string
}
variable "tables" {
  type    = any
  default = {}
}
variable "authorizers" {
  type    = any
  default = {}
}
variable "default_authorizer" {
  type    = string
  default = null
}
variable "database" {
  type    = any
  default = {}
}
variable "db_password" {
  type      = string
  default   = null
  sensitive = true
}
variable "auth" {
  type    = any
  default = {}
}
"""


@pytest.fixture
def stack(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "terraform").mkdir(parents=True)
    (root / "envs").mkdir()
    (root / "terraform" / "variables.tf").write_text(VARIABLES, encoding="utf-8")
    return root


def write_tfvars(root: Path, text: str) -> Path:
    path = root / "envs" / "dev.tfvars"
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def check(root: Path, text: str, environ: dict | None = None):
    return check_tfvars(
        write_tfvars(root, text), root / "terraform", root=root, environ=environ or {}
    )


def problem(root: Path, text: str, environ: dict | None = None) -> str:
    with pytest.raises(UserInputError) as caught:
        check(root, text, environ)
    return caught.value.message


def test_a_valid_file_passes_and_keeps_plain_values(stack: Path) -> None:
    result = check(
        stack,
        """
        owner  = "team-a"
        region = "eu-central-1"
        tables = { items = { hash_key = "id" } }
        """,
    )
    assert result.values["region"] == "eu-central-1"  # python-hcl2 8.x quotes are gone
    assert result.values["tables"] == {"items": {"hash_key": "id"}}
    assert result.value("log_retention_days") == 30  # the declared default
    assert result.value("default_authorizer") is None


def test_declared_variables_know_required_and_sensitive(stack: Path) -> None:
    variables = declared_variables(stack / "terraform")
    assert variables["owner"].required and not variables["region"].required
    assert variables["default_authorizer"].required is False  # `default = null` is a default
    assert variables["db_password"].sensitive and not variables["owner"].sensitive


def test_unknown_variable_names_line_and_suggests_the_close_one(stack: Path) -> None:
    message = problem(
        stack,
        """
        owner = "team-a"

        log_retention = 14
        """,
    )
    assert message.startswith("envs/dev.tfvars:3: unknown variable 'log_retention'")
    assert '(did you mean "log_retention_days"?)' in message


def test_unknown_variable_without_a_close_match_says_how_to_declare_it(stack: Path) -> None:
    message = problem(stack, 'owner = "a"\nzzz_unrelated = 1\n')
    assert "envs/dev.tfvars:2: unknown variable 'zzz_unrelated'" in message
    assert "declare it in terraform/variables.tf" in message


def test_generated_variables_may_not_be_set(stack: Path) -> None:
    message = problem(stack, 'owner = "a"\nenvironment = "prod"\n')
    assert message == (
        "envs/dev.tfvars:2: environment is set by the deployer (generated.tfvars.json); "
        "remove it from the tfvars."
    )


def test_missing_required_variable_names_it_and_the_fix(stack: Path) -> None:
    message = problem(stack, 'region = "eu-west-1"\n')
    assert message == (
        "envs/dev.tfvars: required variable 'owner' is not set; add `owner = ...` to the "
        "file (or export TF_VAR_owner)."
    )


def test_a_required_variable_given_through_tf_var_is_not_missing(stack: Path) -> None:
    result = check(stack, 'region = "eu-west-1"\n', environ={"TF_VAR_owner": "team-a"})
    assert "owner" not in result.values


def test_literal_secret_names_line_and_tf_var_fix(stack: Path) -> None:
    message = problem(
        stack,
        """
        owner = "team-a"
        # the database password, in plain text:
        db_password = "hunter22"
        """,
    )
    assert message == (
        "envs/dev.tfvars:3: db_password looks like a secret written in plain text; remove it "
        "from the file: export TF_VAR_db_password instead (from your CI's secret store)."
    )
    assert "hunter22" not in message  # the error never repeats the secret


def test_nested_literal_secret_names_its_path_and_line(stack: Path) -> None:
    message = problem(
        stack,
        """
        owner = "team-a"
        database = {
          enabled = true
          master = {
            user     = "admin"
            password = "hunter22"
          }
        }
        """,
    )
    assert message.startswith(
        "envs/dev.tfvars:6: database.master.password looks like a secret written in plain text"
    )
    assert "Secrets Manager" in message and "hunter22" not in message


def test_secret_inside_a_list_of_objects_is_found(stack: Path) -> None:
    message = problem(
        stack,
        """
        owner = "a"
        auth = { clients = [{ id = "web", client_secret = "s3cr3t-value" }] }
        """,
    )
    assert "envs/dev.tfvars:2: auth.clients[0].client_secret looks like a secret" in message


def test_secret_named_variables_without_a_literal_pass(stack: Path) -> None:
    result = check(
        stack,
        """
        owner       = "a"
        db_password = null
        auth = {
          token_use       = "access"
          secret_arn      = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:x"
          api_key         = ""
          password_length = 24
        }
        """,
    )
    assert result.values["auth"]["token_use"] == "access"


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("db_password", True),
        ("frontend_access_token", True),
        ("client_secret", True),
        ("private_key", True),
        ("ssh-private-key", True),
        ("apiKey".lower(), True),
        ("tokens", True),
        ("secret", True),
        ("token_use", False),
        ("secret_arn", False),
        ("db_secret_name", False),
        ("password_length", False),
        ("issuer", False),
        ("keyboard", False),
    ],
)
def test_secret_names(name: str, secret: bool) -> None:
    assert is_secret_name(name) is secret


def test_several_problems_are_listed_together(stack: Path) -> None:
    message = problem(stack, 'regoin = "x"\ndb_password = "p4ssw0rd"\n')
    assert message.startswith("3 problems with envs/dev.tfvars:\n")
    assert "  - envs/dev.tfvars:1: unknown variable 'regoin'" in message
    assert '(did you mean "region"?)' in message
    assert "required variable 'owner'" in message
    assert "envs/dev.tfvars:2: db_password looks like a secret" in message


def test_syntax_error_names_file_and_line(stack: Path) -> None:
    message = problem(stack, 'owner = "a"\nregion = = "x"\n')
    assert message.startswith("envs/dev.tfvars:2: not valid HCL")
    assert "fix the syntax" in message


def test_find_line_follows_nested_keys_in_order() -> None:
    text = "a = 1\nb = {\n  a = 2\n  c = { a = 3 }\n}\n"
    assert find_line(text, ["a"]) == 1
    assert find_line(text, ["b", "a"]) == 3
    assert find_line(text, ["b", "c", "a"]) == 4
    assert find_line(text, ["missing"]) is None


# --- functions against the environment ------------------------------------------------------

FUNCTIONS = {
    "items": {
        "routes": [{"route_key": "GET /items", "auth": "default", "scopes": []}],
        "access": {"tables": {"items": "read-write"}, "database": False},
    },
    "health": {
        "routes": [{"route_key": "GET /health", "auth": "none", "scopes": []}],
        "access": {"tables": {}, "database": False},
    },
    "authorizer": {"routes": [], "access": {"tables": {}, "database": False}},
}
GOOD_ENV = """
owner = "a"
tables = { items = { hash_key = "id" } }
authorizers = {
  jwt    = { type = "jwt", issuer = "https://login.example.com/", audience = ["api"] }
  lambda = { type = "request", function = "authorizer" }
}
default_authorizer = "jwt"
"""


def functions_problem(root: Path, text: str, functions: dict) -> str:
    result = check(root, text)
    with pytest.raises(UserInputError) as caught:
        check_functions(
            result, functions, shown="envs/dev.tfvars", sources={"items": "lambda_src/items/f.toml"}
        )
    return caught.value.message


def test_functions_matching_the_environment_pass(stack: Path) -> None:
    check_functions(check(stack, GOOD_ENV), FUNCTIONS, shown="envs/dev.tfvars")


def test_unknown_table_names_the_function_and_the_fix(stack: Path) -> None:
    functions = {
        **FUNCTIONS,
        "items": {**FUNCTIONS["items"], "access": {"tables": {"orders": "read"}}},
    }
    message = functions_problem(stack, GOOD_ENV, functions)
    assert message == (
        "lambda_src/items/f.toml: access.tables names 'orders', which envs/dev.tfvars does not "
        "define (tables: items); add it to tables there or fix the manifest."
    )


def test_database_access_needs_the_database_enabled(stack: Path) -> None:
    functions = {**FUNCTIONS, "report": {"routes": [], "access": {"tables": {}, "database": True}}}
    message = functions_problem(stack, GOOD_ENV, functions)
    assert message == (
        "function 'report': access.database = true but envs/dev.tfvars has database.enabled = "
        "false; enable the database there or drop the access."
    )
    enabled = GOOD_ENV + "database = { enabled = true }\n"
    check_functions(check(stack, enabled), functions, shown="envs/dev.tfvars")


def test_route_with_an_unknown_authorizer(stack: Path) -> None:
    route = {"route_key": "GET /x", "auth": "cognito", "scopes": []}
    functions = {**FUNCTIONS, "x": {"routes": [route], "access": {}}}
    message = functions_problem(stack, GOOD_ENV, functions)
    assert message.startswith(
        "function 'x': route 'GET /x' uses authorizer 'cognito', which envs/dev.tfvars does not "
        "define (authorizers: jwt, lambda)"
    )


def test_default_routes_need_a_default_authorizer(stack: Path) -> None:
    text = GOOD_ENV.replace('default_authorizer = "jwt"', "")
    message = functions_problem(stack, text, FUNCTIONS)
    assert "route 'GET /items' uses the default authorizer but envs/dev.tfvars sets no" in message


def test_default_authorizer_must_be_defined(stack: Path) -> None:
    text = GOOD_ENV.replace('default_authorizer = "jwt"', 'default_authorizer = "okta"')
    message = functions_problem(stack, text, FUNCTIONS)
    assert message == (
        "envs/dev.tfvars: default_authorizer = 'okta' is not one of authorizers (jwt, lambda); "
        "define it or pick one of those."
    )


def test_request_authorizer_must_name_a_function(stack: Path) -> None:
    functions = {k: v for k, v in FUNCTIONS.items() if k != "authorizer"}
    message = functions_problem(stack, GOOD_ENV, functions)
    assert "authorizers.lambda.function = 'authorizer' is not a function in lambda_src/" in message


# --- the repository's own environments ------------------------------------------------------


@pytest.mark.parametrize("env", ["dev", "qa", "preprod", "prod", "local"])
def test_every_environment_of_the_repository_passes(env: str, project_copy: Path) -> None:
    """Both passes: the deployer's own checks, and Terraform's plan of the inputs."""
    from deployer.config.project import find_project
    from deployer.functions.discovery import load_functions

    project = find_project(project_copy)
    result = check_tfvars(
        project_copy / "envs" / f"{env}.tfvars", project_copy / "terraform", root=project_copy
    )
    functions = {s.name: s.settings() for s in load_functions(project)}
    check_functions(result, functions, shown=f"envs/{env}.tfvars")
    assert (project_copy / ".deployer" / env / "inputs" / "stack" / "variables.tf").is_file()


def test_environments_differ_where_it_matters() -> None:
    def values(env: str) -> dict:
        path = REPO_ROOT / "envs" / f"{env}.tfvars"
        return check_tfvars(path, REPO_ROOT / "terraform", root=REPO_ROOT).values

    prod, dev, local = values("prod"), values("dev"), values("local")
    assert prod["database"]["multi_az"] and prod["database"]["deletion_protection"]
    assert not dev["database"]["multi_az"] and not dev["database"]["deletion_protection"]
    assert prod["log_retention_days"] > dev["log_retention_days"]
    assert prod["api"]["throttling_rate_limit"] < dev["api"]["throttling_rate_limit"]
    assert local["frontend"]["enabled"] is True  # the emulator serves Amplify sites
    assert local["database"]["enabled"] and local["database"]["skip_final_snapshot"]
    assert not local["database"]["deletion_protection"]


# --- secrets in any case style, in tfvars and in function.toml --------------------------------


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("dbPassword", True),
        ("DbSecret", True),
        ("DBPassword", True),
        ("DB_PASSWORD", True),
        ("db-password-value", True),
        ("GITHUB_TOKEN", True),
        ("secret_key", True),
        ("privateKeyPem", True),
        ("dbPasswordArn", False),
        ("DB_SECRET_TTL_SECONDS", False),  # a setting about a secret (lambda_src/customer_options)
        ("MAX_TOKEN_BYTES", False),  # a limit (lambda_src/authorizer)
        ("TOKEN_USE", False),
        ("api_key_id", False),
        ("PWD", False),
    ],
)
def test_secret_names_in_any_case_style(name: str, secret: bool) -> None:
    assert is_secret_name(name) is secret


def test_a_camel_case_secret_in_tags_is_caught_with_its_line(stack: Path) -> None:
    message = problem(stack, 'owner = "a"\nauth = {\n  tags = { dbPassword = "hunter2" }\n}\n')
    assert message.startswith(
        "envs/dev.tfvars:3: auth.tags.dbPassword looks like a secret written in plain text"
    )
    assert "Secrets Manager" in message and "hunter2" not in message


def test_a_secret_in_a_functions_environment_names_the_manifest_and_line(stack: Path) -> None:
    manifest = stack / "lambda_src" / "items" / "function.toml"
    manifest.parent.mkdir(parents=True)
    manifest.write_text('[environment]\nLOG_LEVEL = "INFO"\nDB_PASSWORD = "hunter2"\n')
    functions = {
        "items": {**FUNCTIONS["items"], "environment": {"LOG_LEVEL": "INFO", "DB_PASSWORD": "x"}},
        "authorizer": FUNCTIONS["authorizer"],
    }
    with pytest.raises(UserInputError) as caught:
        check_functions(
            check(stack, GOOD_ENV),
            functions,
            shown="envs/dev.tfvars",
            sources={"items": "lambda_src/items/function.toml"},
        )
    assert caught.value.message.startswith(
        "lambda_src/items/function.toml:3: environment.DB_PASSWORD looks like a secret written "
        "in plain text"
    )
    assert "Secrets Manager" in caught.value.message and "DB_PASSWORD_SECRET_ARN" in (
        caught.value.message
    )


# --- values against the root stack's own types -------------------------------------------------

REAL = REPO_ROOT / "terraform"


def real_problem(tmp_path: Path, text: str) -> str:
    tfvars = tmp_path / "envs" / "dev.tfvars"
    tfvars.parent.mkdir(parents=True, exist_ok=True)
    tfvars.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    with pytest.raises(UserInputError) as caught:
        check_tfvars(tfvars, REAL, root=tmp_path)
    return caught.value.message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "database = { deletion_protecton = true }",
            "envs/dev.tfvars:1: database.deletion_protecton is not an attribute of database "
            '(did you mean "deletion_protection"?): Terraform drops attributes its type does '
            "not declare",
        ),
        (
            'authorizers = {\n  lambda = { type = "jwt", isuer = "https://x/" }\n}',
            "envs/dev.tfvars:2: authorizers.lambda.isuer is not an attribute of authorizers.lambda "
            '(did you mean "issuer"?)',
        ),
        (
            'tables = {\n  items = {\n    hash_key = "id"\n'
            '    attributes = [{ nmae = "id", type = "S" }]\n  }\n}',
            "envs/dev.tfvars:4: tables.items.attributes[0].nmae is not an attribute of "
            'tables.items.attributes[0] (did you mean "name"?)',
        ),
        (
            "alarms = { thresholds = { function_error = 1 } }",
            "alarms.thresholds.function_error is not an attribute of alarms.thresholds (did you "
            'mean "function_errors"?)',
        ),
    ],
)
def test_an_unknown_attribute_at_any_depth_is_an_error(tmp_path, text, expected) -> None:
    assert expected in real_problem(tmp_path, text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('authorizers = "lambda"', 'authorizers = "lambda" is not a map'),
        ("database = true", "database = true is not an object"),
        ("default_authorizer = []", "default_authorizer = [] is not a string"),
        ("tables = 5", "tables = 5 is not a map"),
        ('tables = { items = "x" }', 'tables.items = "x" is not an object'),
        ('frontend_access_token = ["ghp_x"]', "frontend_access_token is not a string"),
    ],
)
def test_values_of_the_wrong_type_are_errors_not_tracebacks(tmp_path, text, expected) -> None:
    message = real_problem(tmp_path, text + "\n")
    assert f"envs/dev.tfvars:1: {expected}" in message
    assert "ghp_x" not in message  # a sensitive variable's value is never shown


def test_values_terraform_converts_are_taken(tmp_path: Path) -> None:
    tfvars = tmp_path / "envs" / "dev.tfvars"
    tfvars.parent.mkdir(parents=True)
    # Terraform converts all of these: "7" to a number, "true" to a bool, 5 to a string.
    tfvars.write_text(
        'log_retention_days = "7"\ntracing = "true"\ntags = { cost_center = 5 }\n'
        "database = { enabled = null }\n",
        encoding="utf-8",
    )
    assert check_tfvars(tfvars, REAL, root=tmp_path).values["log_retention_days"] == "7"


def test_a_block_and_a_key_set_twice_are_errors(stack: Path) -> None:
    message = problem(stack, 'owner = "a"\nauth {\n  x = 1\n}\ndatabase = { a = 1, a = 2 }\n')
    assert "envs/dev.tfvars:2: auth { ... } is a block, which a tfvars file cannot hold" in message
    assert (
        "envs/dev.tfvars:5: database.a is set twice in one object (first on line 5); Terraform "
        "keeps the last one without a word" in message
    )


def test_a_value_that_is_not_utf8_names_its_line(stack: Path) -> None:
    path = stack / "envs" / "dev.tfvars"
    path.write_bytes(b'owner = "a"\nregion = "caf\xe9"\n')
    with pytest.raises(UserInputError) as caught:
        check_tfvars(path, stack / "terraform", root=stack)
    assert caught.value.message == (
        "envs/dev.tfvars:2: is not UTF-8 text (byte 0xe9 at column 14); save the file as UTF-8."
    )
