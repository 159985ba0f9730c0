"""Web sources (collections fed by a crawler) and scheduled refresh of URL documents."""
