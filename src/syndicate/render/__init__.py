"""Posts into Entries: Markdown to sanitized HTML, and excerpts."""
