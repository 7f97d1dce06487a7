"""newsdig's query side: retrieve → fuse → collapse to articles → snippets (``search.ranker``)."""
