"""Adapters behind the ports: ``memory`` (fakes, also the simplest adapter), ``local`` and ``aws``."""
