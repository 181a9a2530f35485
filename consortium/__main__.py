"""``python -m consortium``: the same as the ``consortium`` command."""

from consortium.cli import main

main()
