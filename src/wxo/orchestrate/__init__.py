"""The built-in Orchestrate Assistant: the agent loop that executes runs, and chat completions."""
