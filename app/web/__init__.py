"""The HTML kit shared by the intake form and the staff console: one Jinja environment, one
page header policy (CSP), CSRF protection, and application errors rendered as pages."""
