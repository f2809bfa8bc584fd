"""The disclosure plugin's own migration history."""
