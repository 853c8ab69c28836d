"""`vescdoctor sim`: not built yet (issue 3)."""
from ..errors import NotYetImplemented


def run(args) -> int:
    raise NotYetImplemented("this command is not built yet (issue 3); nothing was done")
