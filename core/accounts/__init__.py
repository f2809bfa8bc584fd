"""Organisations and their user accounts, created by Exchange staff (G-3) and by organisation admins (G-9.2)."""
