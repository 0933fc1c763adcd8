"""`python -m esorm.cli`, the same as the `esorm` command."""

from esorm.cli import main

main()
