"""The membership plugin's own migration history."""
