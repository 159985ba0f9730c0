"""`python -m wxo` is the `wxo` command."""

from wxo.cli import main

main()
