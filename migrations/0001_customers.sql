-- Schema read by GET /customers/{id}/options (lambda_src/customer_options/README.md).
-- Idempotent, so it also applies where these tables were created by hand before.

CREATE TABLE IF NOT EXISTS customers (
    customer_id text PRIMARY KEY CHECK (customer_id ~ '^[A-Za-z0-9_.:-]{1,64}$'),
    name        text NOT NULL
);

CREATE TABLE IF NOT EXISTS customer_options (
    customer_id  text NOT NULL REFERENCES customers (customer_id) ON DELETE CASCADE,
    option_name  text NOT NULL CHECK (length(option_name) BETWEEN 1 AND 128),
    option_value text NOT NULL,
    PRIMARY KEY (customer_id, option_name)
);
