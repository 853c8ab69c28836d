"""Image files (.bin, Intel .hex, .elf): load them, say what they are, and what writing them would do.

    load_image(path) -> LoadedImage          bytes + base address + format; InputError on a bad file
    identify(data, base=None, ranges=None) -> ImageInfo   kind, HW name, version, base, size, sha256, problems
    find_hw_name(data) -> str | None         the HW name inside firmware bytes (also on flash readbacks)
    identify_bootloader(data) -> BootloaderInfo | None   a known bootloader, also on a sector-11 readback
"""
from .bootloader import BootloaderInfo, identify_bootloader
from .hwname import find_hw_name
from .identify import ImageInfo, identify
from .load import LoadedImage, load_image

__all__ = ["BootloaderInfo", "ImageInfo", "LoadedImage", "find_hw_name", "identify", "identify_bootloader",
           "load_image"]
