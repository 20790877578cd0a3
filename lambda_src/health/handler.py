"""Public health check: GET /health answers 200 {"status": "ok"}.

Deliberately free of third-party packages and of AWS calls: it shows a function without
a requirements.txt, and it answers as long as the API, the integration and the Lambda
runtime work, which is what `deployer smoke` checks after a deployment.
"""

from __future__ import annotations

import json
from typing import Any


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Lambda entry point (HTTP API payload format 2.0)."""
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json", "Cache-Control": "no-store"},
        "body": json.dumps({"status": "ok"}),
    }
