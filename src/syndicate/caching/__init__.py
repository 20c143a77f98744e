"""What stages keep across restarts: the disk cache, and the fingerprint of the code that made it."""
