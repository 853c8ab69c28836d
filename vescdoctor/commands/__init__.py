"""One module per command: `run(args) -> exit code`. Imported lazily by cli.main."""
