"""Scorecards own no tables: they read the rollups (``rollups.models``)."""
