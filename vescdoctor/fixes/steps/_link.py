"""What the option-byte steps share: a reset that applies the option bytes, then the link back."""
from __future__ import annotations

import logging

from ...errors import FixError
from ...swdlink import SwdLink

LOG = logging.getLogger(__name__)


def reset_and_reconnect(link: SwdLink) -> None:
    try:
        link.target.reset_and_halt()
    except Exception as exc:  # noqa: BLE001 - the reconnect below says whether the chip is back
        LOG.debug("reset after option bytes: %s", exc)
    link.close()
    if not link.connect():
        raise FixError("the chip did not answer after the reset that applies the option bytes")
    link.target.halt()
