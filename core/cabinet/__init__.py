"""The personal cabinet (G-8): the home page, "Редактировать профиль", the language switch."""
