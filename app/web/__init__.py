"""Web pages for finance directors and planners (docs/pages.md): server-rendered over the same services
and access rules as the API, signed in with a session cookie (session.py)."""
