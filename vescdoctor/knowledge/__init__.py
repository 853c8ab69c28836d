"""Facts as data: the STM32F405 flash map, VESC flash roles, checksums, USB ids, HW names.

Nothing here does I/O; everything else reads its constants from here so there is one place to check
a fact against ../shared/reference/vesc-stm32.md.
"""
