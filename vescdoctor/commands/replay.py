"""`vescdoctor replay`: not built yet (issue 7)."""
from ..errors import NotYetImplemented


def run(args) -> int:
    raise NotYetImplemented("this command is not built yet (issue 7); nothing was done")
