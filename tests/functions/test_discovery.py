"""Discovering functions and validating function.toml (docs/functions.md, docs/architecture.md).

Route keys on their own are tested in test_routes.py.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers.function_projects import HANDLER, simple_function, write_project

from deployer.common.errors import UserInputError
from deployer.config.project import find_project
from deployer.functions.discovery import load_functions, max_name_length

ARCHITECTURE_EXAMPLE = """
name = "items"
handler = "handler.handler"
runtime = "python3.12"
architecture = "arm64"
memory = 256
timeout = 10
description = "Items API"

[environment]
LOG_LEVEL = "INFO"

[[routes]]
route = "GET /items/{id}"
auth = "default"
scopes = ["items:read"]

[access]
tables = { items = "read-write" }
database = false
"""


def _load(root: Path):
    return load_functions(find_project(root))


def _problem(root: Path) -> str:
    with pytest.raises(UserInputError) as caught:
        _load(root)
    return caught.value.message


def test_the_documented_example_gives_the_documented_settings(tmp_path) -> None:
    write_project(tmp_path, {"items": simple_function(ARCHITECTURE_EXAMPLE)})
    [spec] = _load(tmp_path)
    assert spec.name == "items"
    assert spec.settings() == {
        "handler": "handler.handler",
        "runtime": "python3.12",
        "architecture": "arm64",
        "memory": 256,
        "timeout": 10,
        "description": "Items API",
        "environment": {"LOG_LEVEL": "INFO"},
        "routes": [{"route_key": "GET /items/{id}", "auth": "default", "scopes": ["items:read"]}],
        "access": {"tables": {"items": "read-write"}, "database": False},
    }


def test_an_empty_manifest_takes_every_default(tmp_path) -> None:
    write_project(tmp_path, {"health": simple_function("")})
    [spec] = _load(tmp_path)
    assert spec.name == "health"  # the folder name
    assert spec.settings() == {
        "handler": "handler.handler",
        "runtime": "python3.12",
        "architecture": "arm64",
        "memory": 128,
        "timeout": 3,
        "description": "",
        "environment": {},
        "routes": [],
        "access": {"tables": {}, "database": False},
    }


def test_only_folders_with_a_manifest_are_functions(tmp_path) -> None:
    write_project(
        tmp_path,
        {
            "b_fn": simple_function(),
            "a_fn": simple_function('name = "zeta"'),
            "_private": simple_function(),  # underscore: never a function
            "notes": {"README.md": "not a function"},
        },
        shared={"common.py": "X = 1\n", "function.toml": ""},
    )
    assert [s.name for s in _load(tmp_path)] == ["b_fn", "zeta"]


def test_a_misspelt_manifest_is_an_error_not_a_silent_skip(tmp_path) -> None:
    write_project(tmp_path, {"items": {"functions.toml": "", "handler.py": HANDLER}})
    message = _problem(tmp_path)
    assert "lambda_src/items/functions.toml" in message
    assert "function.toml" in message


def test_no_lambda_src_means_no_functions(tmp_path) -> None:
    write_project(tmp_path, {})
    assert _load(tmp_path) == []


@pytest.mark.parametrize(
    ("handler", "files"),
    [
        ("handler.handler", {"handler.py": HANDLER}),
        ("app.main", {"app.py": "import json\n\n@decorate\ndef main(event, context):\n  pass\n"}),
        ("pkg.api.entry", {"pkg/__init__.py": "", "pkg/api.py": "def entry(e, c):\n  pass\n"}),
        ("pkg.run", {"pkg/__init__.py": "def run(e, c):\n    pass\n"}),
        ("nsp.deep.mod.fn", {"nsp/deep/mod.py": "def fn(e, c):\n    pass\n"}),
        ("wrapped.handler", {"wrapped.py": "def _h(e, c):\n  pass\n\nhandler = _h\n"}),
        ("alias.handler", {"alias.py": "from impl import real as handler\n"}),
        (
            "guarded.handler",
            {
                "guarded.py": "try:\n  import x\nexcept ImportError:\n  x = None\n"
                "if x is None:\n  def handler(e, c):\n    pass\n"
            },
        ),
        ("star.handler", {"star.py": "from elsewhere import *\n"}),
        ("common_handlers.ping", {}),  # defined in _shared/
    ],
)
def test_handler_forms_that_exist(tmp_path, handler, files) -> None:
    write_project(
        tmp_path,
        {"fn": {"function.toml": f'handler = "{handler}"', **files}},
        shared={"common_handlers.py": "def ping(event, context):\n    return 1\n"},
    )
    assert _load(tmp_path)[0].handler == handler


@pytest.mark.parametrize(
    ("handler", "files", "expected"),
    [
        ("handler", {"handler.py": HANDLER}, "is not module.function"),
        ("handler.handler", {"main.py": HANDLER}, "no module handler.py"),
        ("handler.main", {"handler.py": HANDLER}, "defines no top-level 'main'"),
        (
            "handler.method",
            {"handler.py": "class A:\n  def method(self):\n    pass\n"},
            "defines no top-level 'method'",
        ),
        ("handler.handler", {"handler.py": "def handler(:\n"}, "does not parse (line 1"),
        ("tests.handler.handler", {"tests/handler.py": HANDLER}, "never packaged"),
        ("my-mod.handler", {"my-mod.py": HANDLER}, "is not module.function"),
        ("handler.handler", {"handler.py": "async def handler(e, c):\n  pass\n"}, "async def"),
    ],
)
def test_handler_problems(tmp_path, handler, files, expected) -> None:
    write_project(tmp_path, {"fn": {"function.toml": f'handler = "{handler}"', **files}})
    message = _problem(tmp_path)
    assert message.startswith("lambda_src/fn/function.toml: handler")
    assert expected in message


def test_handler_code_is_parsed_never_run(tmp_path) -> None:
    marker = tmp_path / "imported"
    code = f"open({str(marker)!r}, 'w').close()\nraise SystemExit(3)\n\n{HANDLER}"
    write_project(tmp_path, {"fn": {"function.toml": "", "handler.py": code}})
    assert _load(tmp_path)[0].handler == "handler.handler"
    assert not marker.exists()


def test_name_length_leaves_room_for_app_and_longest_environment(tmp_path) -> None:
    write_project(tmp_path, {}, app="shop", envs=("dev", "staging-europe"))
    project = find_project(tmp_path)
    assert max_name_length(project) == (64 - len("shop-staging-europe-"), "staging-europe")
    fits = "f" * max_name_length(project)[0]
    write_project(tmp_path, {fits: simple_function(), "x": simple_function(f'name = "{fits}x"')})
    message = _problem(tmp_path)
    assert "lambda_src/x/function.toml: name" in message
    assert "shop-staging-europe-" in message
    assert f"keep it to {len(fits)}" in message


def test_standard_environments_count_even_before_their_tfvars_exist(tmp_path) -> None:
    write_project(tmp_path, {}, app="shop", envs=("dev",))
    assert max_name_length(find_project(tmp_path)) == (64 - len("shop-preprod-"), "preprod")


def test_names_are_unique_ignoring_case(tmp_path) -> None:
    write_project(
        tmp_path, {"a": simple_function('name = "Items"'), "b": simple_function('name = "items"')}
    )
    message = _problem(tmp_path)
    assert "lambda_src/b/function.toml: name = 'items' is already used by lambda_src/a" in message


def test_every_problem_of_every_manifest_is_reported_at_once(tmp_path) -> None:
    write_project(
        tmp_path,
        {
            "one": simple_function("memory = 64\ntimeout = 0"),
            "two": simple_function('runtime = "python3.9"'),
        },
    )
    message = _problem(tmp_path)
    assert message.startswith("3 problems in function manifests:")
    assert "lambda_src/one/function.toml: memory" in message
    assert "lambda_src/one/function.toml: timeout" in message
    assert "lambda_src/two/function.toml: runtime" in message


def test_routes_differing_only_in_parameter_names_conflict(tmp_path) -> None:
    write_project(
        tmp_path,
        {
            "a": simple_function('[[routes]]\nroute = "GET /items/{id}"'),
            "b": simple_function('[[routes]]\nroute = "GET /items/{item_id}"'),
        },
    )
    message = _problem(tmp_path)
    assert "lambda_src/b/function.toml: routes[0].route = 'GET /items/{item_id}'" in message
    assert "already claimed by lambda_src/a/function.toml ('GET /items/{id}')" in message


def test_a_route_listed_twice_in_one_manifest_is_an_error(tmp_path) -> None:
    twice = '[[routes]]\nroute = "ANY /{proxy+}"\n[[routes]]\nroute = "ANY /{rest+}"\n'
    write_project(tmp_path, {"a": simple_function(twice)})
    assert "routes[1].route" in _problem(tmp_path)
    assert "routes[0] of the same file" in _problem(tmp_path)


def test_different_methods_on_one_path_are_different_routes(tmp_path) -> None:
    write_project(
        tmp_path,
        {
            "a": simple_function('[[routes]]\nroute = "GET /items"'),
            "b": simple_function(
                '[[routes]]\nroute = "POST /items"\n[[routes]]\nroute = "$default"'
            ),
        },
    )
    assert [len(s.routes) for s in _load(tmp_path)] == [1, 2]


def test_unknown_keys_suggest_the_right_one(tmp_path) -> None:
    manifest = 'memroy = 256\n[[routes]]\nroute = "GET /x"\nscope = ["a"]\n[access]\ntable = {}\n'
    write_project(tmp_path, {"fn": simple_function(manifest)})
    message = _problem(tmp_path)
    assert 'memroy is not a known field (did you mean "memory"?)' in message
    assert 'routes[0].scope is not a known field (did you mean "scopes"?)' in message
    assert 'access.table is not a known field (did you mean "tables"?)' in message


def test_reserved_and_malformed_environment_variables(tmp_path) -> None:
    manifest = '[environment]\nAWS_REGION = "eu-west-1"\nX = "1"\n"1ABC" = "2"\nPORT = 8080\n'
    write_project(tmp_path, {"fn": simple_function(manifest)})
    message = _problem(tmp_path)
    assert "environment.AWS_REGION is reserved by AWS Lambda" in message
    assert "environment.X is not a valid environment variable name" in message
    assert "environment.1ABC is not a valid environment variable name" in message
    assert 'environment.PORT must be a string: write PORT = "8080"' in message


def test_include_and_exclude_patterns_are_kept_apart_from_the_settings(tmp_path) -> None:
    manifest = 'include = ["certs/*.pem"]\nexclude = ["data/", "*.csv"]\n'
    write_project(tmp_path, {"fn": simple_function(manifest)})
    [spec] = _load(tmp_path)
    assert spec.include == ("certs/*.pem",) and spec.exclude == ("data/", "*.csv")
    assert "include" not in spec.settings() and "exclude" not in spec.settings()


def test_pattern_fields_of_the_wrong_type_are_reported_with_the_others(tmp_path) -> None:
    manifest = 'include = "*.pem"\nexclude = ["ok", "../up", 3]\nmemory = 1\n'
    write_project(tmp_path, {"fn": simple_function(manifest)})
    message = _problem(tmp_path)
    assert "3 problems" in message
    assert (
        "lambda_src/fn/function.toml: include must be a list of glob patterns in quotes, "
        'e.g. include = ["certs/*.pem"].'
    ) in message
    assert "lambda_src/fn/function.toml: exclude must be a list of glob patterns" in message
    assert "memory = 1" in message


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda m: m.symlink_to("nowhere.toml"), "is a symlink to nowhere.toml"),
        (lambda m: m.symlink_to("function.toml"), "is a symlink to function.toml"),
        (lambda m: m.symlink_to("/dev/null"), "is a symlink to /dev/null"),
        (lambda m: m.symlink_to("../other/function.toml"), "is a symlink to ../other/"),
        (lambda m: m.mkdir(), "is a folder"),
        (lambda m: os.mkfifo(m), "is not a regular file"),
    ],
    ids=["dangling", "loop", "dev-null", "another", "folder", "fifo"],
)
def test_a_manifest_that_is_not_a_regular_file_is_an_error(tmp_path, make, expected) -> None:
    write_project(tmp_path, {"fn": {"handler.py": HANDLER}, "other": simple_function()})
    make(tmp_path / "lambda_src/fn/function.toml")
    assert _problem(tmp_path).startswith(f"lambda_src/fn/function.toml: {expected}")


def test_a_function_folder_that_is_a_link_is_an_error(tmp_path) -> None:
    write_project(tmp_path, {"real": simple_function()})
    (tmp_path / "lambda_src/linked").symlink_to("real", target_is_directory=True)
    assert _problem(tmp_path).startswith("lambda_src/linked: is a symlink to real;")


def test_database_true_is_the_application_role_and_owner_is_the_master_user(tmp_path) -> None:
    write_project(
        tmp_path,
        {
            "reader": simple_function("[access]\ndatabase = true\n"),
            "migrate": simple_function('[access]\ndatabase = "owner"\n'),
        },
    )
    specs = {s.name: s for s in _load(tmp_path)}
    assert (specs["reader"].database, specs["reader"].database_role) == (True, "app")
    assert (specs["migrate"].database, specs["migrate"].database_role) == (True, "owner")
    # What the stack reads: the role only where it is not the default, so the digests of
    # the settings of every other function stay what they were.
    assert specs["reader"].settings()["access"] == {"tables": {}, "database": True}
    assert specs["migrate"].settings()["access"] == {
        "tables": {},
        "database": True,
        "database_role": "owner",
    }


@pytest.mark.parametrize("value", ['"admin"', '"true"', "1", "[]"])
def test_any_other_database_value_is_an_error_naming_the_choices(tmp_path, value) -> None:
    write_project(tmp_path, {"reader": simple_function(f"[access]\ndatabase = {value}\n")})
    message = _problem(tmp_path)
    assert "lambda_src/reader/function.toml" in message and "access.database" in message
    assert 'true (the application role), "owner"' in message


@pytest.mark.parametrize(
    "handler",
    ["m" * 300 + ".handler", "a." * 5_000 + "h", "h" * 10_001],
    ids=["module-longer-than-a-file-name", "deep-packages", "ten-thousand"],
)
def test_a_handler_longer_than_lambda_allows_is_an_error_before_any_file_is_read(
    tmp_path, handler: str
) -> None:
    write_project(tmp_path, {"fn": simple_function(f'handler = "{handler}"\n')})
    assert _problem(tmp_path) == (
        f"lambda_src/fn/function.toml: handler is {len(handler)} characters; Lambda allows at "
        'most 128: shorten it (module.function, e.g. handler = "handler.handler").'
    )


def test_a_handler_of_128_characters_is_looked_for(tmp_path) -> None:
    module = "m" * 120  # + ".handler": 128
    write_project(
        tmp_path,
        {"fn": {"function.toml": f'handler = "{module}.handler"\n', f"{module}.py": HANDLER}},
    )
    [spec] = _load(tmp_path)
    assert len(spec.handler) == 128


def test_a_manifest_that_is_not_utf8_names_its_line(tmp_path) -> None:
    write_project(tmp_path, {"fn": {"handler.py": HANDLER}})
    (tmp_path / "lambda_src/fn/function.toml").write_bytes(
        b'memory = 128\ndescription = "caf\xe9"\n'
    )
    assert _problem(tmp_path) == (
        "lambda_src/fn/function.toml:2: is not UTF-8 text; save it as UTF-8."
    )
