"""Recurring check-ins and reminders (issue 14, sections 3 and 4)."""
