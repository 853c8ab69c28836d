"""`vescdoctor completion SHELL`: the shell completion script for vescdoctor (shtab, from the argparse parser).

Install, e.g. bash: `vescdoctor completion bash > ~/.local/share/bash-completion/completions/vescdoctor`; zsh:
`vescdoctor completion zsh > "${fpath[1]}/_vescdoctor"`; fish: `vescdoctor completion fish >
~/.config/fish/completions/vescdoctor.fish`; PowerShell: `vescdoctor completion powershell >> $PROFILE`.
"""
from __future__ import annotations

import argparse
import sys

# Arguments that name a file or a folder, by their metavar: completed with the shell's own file/folder completion.
FILE_METAVARS = {"FILE", "OUT", "BACKUP", "PATH", "SCENARIO"}
DIR_METAVARS = {"BOARD", "DIR"}


def run(args) -> int:
    import shtab

    from ..cli import build_parser

    parser = build_parser()
    _mark_paths(parser, shtab)
    sys.stdout.write(shtab.complete(parser, shell=args.shell))
    return 0


def _mark_paths(parser: argparse.ArgumentParser, shtab) -> None:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in set(action.choices.values()):
                _mark_paths(sub, shtab)
        elif action.metavar in FILE_METAVARS:
            action.complete = shtab.FILE
        elif action.metavar in DIR_METAVARS:
            action.complete = shtab.DIRECTORY
