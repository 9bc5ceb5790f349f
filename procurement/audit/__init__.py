"""Audit: the export and its verifier, the Merkle ledger, history and its snapshots."""
