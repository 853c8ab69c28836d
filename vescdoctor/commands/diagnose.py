"""`vescdoctor diagnose`: not built yet (issue 4)."""
from ..errors import NotYetImplemented


def run(args) -> int:
    raise NotYetImplemented("this command is not built yet (issue 4); nothing was done")
