"""The HTML kit: one Jinja environment (the console's pages and the shared form macros), one
page header policy (CSP, shared with the intake form), CSRF protection, and formatting."""
