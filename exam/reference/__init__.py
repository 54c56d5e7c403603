"""Reference data the bureau edits: sectors and towns."""
