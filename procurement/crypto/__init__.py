"""Cryptography: sealing bids (HPKE), signed receipts, passwords, tokens, second factor."""
