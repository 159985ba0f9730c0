"""Custom assistants and watsonx Assistant instances (service "Custom Assistants")."""
