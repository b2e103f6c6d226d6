"""coaching models: added by their own issue."""
