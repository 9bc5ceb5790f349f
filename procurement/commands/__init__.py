"""Commands: what each aggregate can be asked to do, with its access checks."""
