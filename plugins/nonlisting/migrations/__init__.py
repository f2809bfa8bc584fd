"""The nonlisting plugin's own migration history."""
