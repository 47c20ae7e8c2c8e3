"""Access: one place that answers "may this user do this to that?".

`policy` declares every action and the roles that may take it (docs/access.md is generated
from it, and the access-matrix test holds every page and API endpoint to it); `checks`
decides for a user, a store, a market or an organisation, with getter-checkers that return
the object or raise; `pages` and `api` adapt those checks to a web request and an API call.
"""
