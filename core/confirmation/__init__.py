"""The yearly confirmation of each client organisation's users by its admin (as EDGAR Next's annual
confirmation): reminders before the due date, suspension of the users not confirmed in time, and the
Exchange's overview of the organisations overdue or due soon."""
