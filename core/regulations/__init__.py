"""Нормативная база (G-9.7): laws, regulations and Exchange internal documents, published by the Exchange."""
