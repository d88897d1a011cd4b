"""Every SQL and Mongo query lives here. Stores never commit: the calling use case owns the
transaction."""
