"""``python -m jiceng.platform.cli``: the same command line as the ``jiceng`` script."""
from jiceng.platform.cli import main

main()
