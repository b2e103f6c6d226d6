"""sampling models: added by their own issue."""
