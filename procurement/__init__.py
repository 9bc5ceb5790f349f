"""The application layer, in wings: store, commands, audit, jobs, crypto; settings, clock."""
