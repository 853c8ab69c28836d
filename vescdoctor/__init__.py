"""vescdoctor: diagnose and repair VESC motor controllers (STM32F405) through USB, the VESC protocol and SWD."""

__version__ = "0.1.0"
