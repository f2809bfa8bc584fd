"""Инсайдеры Биржи (G-9.8): Exchange employees with access to insider information."""
