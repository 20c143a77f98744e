"""Tools for authors, apart from the pipeline: importing a feed, starting a post."""
