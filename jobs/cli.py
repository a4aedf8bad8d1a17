"""The one rule of every command here: a user's mistake is one line on stderr, exit status 2."""
from __future__ import annotations

import argparse
import sys


class Parser(argparse.ArgumentParser):
    """argparse, with defaults in --help and a mistake reported as `prog: error: what` alone
    (argparse would print the whole usage first; --help shows it)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message}\n")


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    pass


def fail(prog: str, message: str) -> int:
    """For mistakes found after parsing: print the line, return the status to exit with."""
    print(f"{prog}: error: {message}", file=sys.stderr)
    return 2
