"""`python -m kbcli`: the `kb` command."""

from kbcli import main

main()
