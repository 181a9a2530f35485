"""Readers' personal data: envelope encryption, consent, events, interests, export and erase."""
