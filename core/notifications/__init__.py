"""Notifications: in the cabinet ("Уведомления") and by e-mail, sent outside the request by the task queue."""
