"""Read models: each projection writes its rows and its tracking position in one transaction."""
