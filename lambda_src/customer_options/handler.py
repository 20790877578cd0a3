"""GET /customers/{id}/options: a customer's configuration options, read from PostgreSQL.

The schema is the project's migration migrations/0001_customers.sql; connection, TLS and
credential handling in database.py; settings in README.md.
"""

from __future__ import annotations

import os
import re

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from api_errors import install_error_handlers, reject_other_methods
from database import Database, DbSettings

# The same rule as the CHECK constraint on customers.customer_id: anything else cannot exist.
CUSTOMER_ID = re.compile(r"[A-Za-z0-9_.:-]{1,64}")

# One row per option; one row with NULL option columns for a customer without options;
# no row at all for an unknown customer.
OPTIONS_SQL = """
    SELECT o.option_name, o.option_value
    FROM customers AS c
    LEFT JOIN customer_options AS o ON o.customer_id = c.customer_id
    WHERE c.customer_id = %s
    ORDER BY o.option_name
"""

logger = Logger(service="customer_options")
app = APIGatewayHttpResolver()
install_error_handlers(app, logger)
reject_other_methods(app, "/customers/<customer_id>/options", ["GET"])

_database: Database | None = None


def _db() -> Database:
    """The container's database, created on first use and kept for warm invocations."""
    global _database
    if _database is None:
        _database = Database(DbSettings.from_env(os.environ))
    return _database


@app.get("/customers/<customer_id>/options")
def customer_options(customer_id: str) -> dict:
    """The customer's options as {"customer_id": ..., "options": {name: value}}; 404 if unknown."""
    if not CUSTOMER_ID.fullmatch(customer_id):
        raise NotFoundError("Customer not found")
    rows = _db().query(OPTIONS_SQL, (customer_id,))
    if not rows:
        raise NotFoundError("Customer not found")
    options = {name: value for name, value in rows if name is not None}
    return {"customer_id": customer_id, "options": options}


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def handler(event: dict, context: LambdaContext) -> dict:
    """Lambda entry point."""
    return app.resolve(event, context)
