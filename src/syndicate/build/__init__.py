"""A Build of the whole site from the store, remaking only what changed; written to a folder."""
