"""Partnerships (G-9.3): an organisation's financial consultant and audit organisation."""
