"""`python -m bot` is the same as the `gepeto` command."""

from bot.cli import main

main()
