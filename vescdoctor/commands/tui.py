"""`vescdoctor tui`: not built yet (issue 6)."""
from ..errors import NotYetImplemented


def run(args) -> int:
    raise NotYetImplemented("this command is not built yet (issue 6); nothing was done")
