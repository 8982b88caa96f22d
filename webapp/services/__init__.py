"""Business rules: every state change goes through a function here, which owns its transaction."""
