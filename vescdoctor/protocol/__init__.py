"""The VESC packet protocol: framing (packet.py) and the read-only commands a diagnosis may send (commands.py)."""
