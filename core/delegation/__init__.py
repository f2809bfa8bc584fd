"""Delegation with a power of attorney: a substitute approves and signs for the first head within a date range."""
