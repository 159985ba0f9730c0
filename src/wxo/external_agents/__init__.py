"""External chat-completions agents registered with the server, and the client that calls them."""
