"""The listing plugin's own migration history."""
