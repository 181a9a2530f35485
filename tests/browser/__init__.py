"""End-to-end tests in a real browser (a package, so that its package-scoped fixtures end with it)."""
