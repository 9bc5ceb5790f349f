"""The application layer: commands, settings, clock, database, CLI."""
