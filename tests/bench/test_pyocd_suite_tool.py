"""tools/pyocd_functional_tests.py: the hex and ELF files it makes in place of objcopy read back as objcopy's do."""
from __future__ import annotations

import importlib.util
from pathlib import Path

from elftools.elf.elffile import ELFFile
from intelhex import IntelHex

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("pyocd_functional_tests", ROOT / "tools" / "pyocd_functional_tests.py")
tool = importlib.util.module_from_spec(spec)
spec.loader.exec_module(tool)


def test_hex_and_elf_hold_the_binary_at_the_base_address(tmp_path):
    binary = tmp_path / "t.bin"
    data = bytes(range(256)) * 5 + b"\x01"
    binary.write_bytes(data)
    ih = IntelHex(tool.binary_to_hex_file(str(binary), 0x08000000))
    assert ih.tobinstr(start=0x08000000, size=len(data)) == data
    with open(tool.binary_to_elf_file(str(binary), 0x08000000), "rb") as f:
        elf = ELFFile(f)
        assert elf["e_machine"] == "EM_ARM" and elf["e_entry"] == 0x08000000
        segments = [s for s in elf.iter_segments() if s["p_type"] == "PT_LOAD"]
        assert len(segments) == 1 and segments[0]["p_paddr"] == 0x08000000 and segments[0].data() == data
        section = elf.get_section_by_name(".data")
        assert section["sh_addr"] == 0x08000000 and section.data() == data and section["sh_flags"] & 2
