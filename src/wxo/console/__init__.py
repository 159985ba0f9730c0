"""The web console: static files served at `/` beside the API (see `web/` in the checkout)."""
