"""Account administration: staff accounts, password resets, disabling, scopes."""
