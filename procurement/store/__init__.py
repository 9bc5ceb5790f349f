"""The event store: Application base, recorder, group commit, transcodings, side tables."""
