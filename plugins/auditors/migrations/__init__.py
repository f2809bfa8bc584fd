"""The auditors plugin's own migration history."""
