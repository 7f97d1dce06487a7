"""newsdig's build side: ingest → clean → chunk → keyword index (Whoosh) + vector store (numpy).

Import the modules themselves (``indexer.build``, ``indexer.update``...): this package re-exports
nothing, so that importing one light module never pulls in the HTML cleaner or the model.
"""
