"""``python -m consortia.cli``: the same as the ``consortia`` command."""

from consortia.cli.main import main

main()
