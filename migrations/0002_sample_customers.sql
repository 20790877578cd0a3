-- Sample data, not a schema change: one demo customer, so that a fresh stack answers
-- GET /customers/acme/options with data. Delete this file (before it is applied anywhere
-- that matters) when the application has real customers.

INSERT INTO customers (customer_id, name) VALUES ('acme', 'ACME Corporation')
ON CONFLICT (customer_id) DO NOTHING;

INSERT INTO customer_options (customer_id, option_name, option_value) VALUES
    ('acme', 'currency', 'EUR'),
    ('acme', 'discount', '0.1')
ON CONFLICT (customer_id, option_name) DO NOTHING;
