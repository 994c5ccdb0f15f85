"""The transparency log's rules: what an entry is, how entries are integrated, how proofs are read."""
