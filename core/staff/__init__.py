"""The Exchange staff's home ("Рабочий стол") and the audit journal."""
