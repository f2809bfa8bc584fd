"""Status events and a read-only API for the clients' own systems: an organisation admin's webhook
endpoints (signed POSTs of every status change of the organisation's applications and orders) and
expiring API keys for reading its applications (docs/webhooks.md)."""
