"""The HTTP API: app factory, one controller per audience, guards, schemas, error mapper."""
