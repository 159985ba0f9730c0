"""Safe fetching of user-supplied URLs (no database, no web framework): see `client.fetch`."""

from wxo.webfetch.base import Fetched, FetchError, FetchLimits
from wxo.webfetch.client import check_url, fetch

__all__ = ["FetchError", "FetchLimits", "Fetched", "check_url", "fetch"]
