"""wxo: an open, self-hosted server for the WxO Server API."""

__version__ = "0.1.0"
