"""The environment variables Lambda's Python runtime sets for a function."""

from __future__ import annotations

from deployer.runtime.workers import FunctionCode


def lambda_variables(
    code: FunctionCode, region: str, runtime: str = "python3.12"
) -> dict[str, str]:
    """Lambda's own variables for `code` (the function's variables go under them)."""
    variables = {
        "AWS_LAMBDA_FUNCTION_NAME": code.name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(code.memory),
        "AWS_LAMBDA_FUNCTION_VERSION": code.version,
        "AWS_LAMBDA_LOG_GROUP_NAME": code.log_group or f"/aws/lambda/{code.name}",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{code.runtime}",
        "LAMBDA_TASK_ROOT": code.code_paths[0] if code.code_paths else "",
        "_HANDLER": code.handler,
    }
    if region:
        variables["AWS_REGION"] = region
        variables["AWS_DEFAULT_REGION"] = region
    return variables
