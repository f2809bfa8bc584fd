"""Applications and the procedures they follow (the engine grows here; see docs/plugins.md)."""
