"""pyserial URL handlers of the bench (serial.protocol_handler_packages entry: vescdoctor.sim.serial_url)."""
