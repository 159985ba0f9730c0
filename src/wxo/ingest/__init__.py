"""`wxo ingest`: a client that loads a folder into a collection of any wxo server over HTTP.

It uses only the public API (no database, no server internals), so it works against a remote
server as well as a local `wxo serve`.
"""
