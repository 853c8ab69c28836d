"""`vescdoctor restore`: not built yet (issue 5)."""
from ..errors import NotYetImplemented


def run(args) -> int:
    raise NotYetImplemented("this command is not built yet (issue 5); nothing was done")
