"""Entries into the site's files, each described before it is made: listings, feeds, pages, indexes."""
