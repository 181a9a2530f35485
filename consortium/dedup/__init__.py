"""Deduplication across member libraries: match keys, the pair matcher, clustering and merged records."""
