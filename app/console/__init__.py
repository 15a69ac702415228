"""The staff console: server-rendered pages for therapists, admins and researchers.

Every route is a `ConsoleRoute` (see routing.py): it requires a signed-in staff member unless
it says otherwise, checks CSRF on every unsafe method, and shows errors as pages.
"""
