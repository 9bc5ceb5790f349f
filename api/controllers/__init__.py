"""One controller per audience."""
