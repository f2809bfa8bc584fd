"""The built-in plugins: one procedure category each (G-12), and the subscription module."""
