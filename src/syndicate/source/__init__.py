"""Reading the store: its files and their front matter, checked, into Posts."""
