"""Facts about VESC images as data: the known bootloaders and release firmware files, and the HW names.

Sources: ../shared/reference/vesc-stm32.md (Known official bootloader images), ../shared/firmware/MANIFEST.md (release
files and the VESC Tool release each belongs to: a .bin does not store its version as text) and
../shared/reference/hw-names.txt (HW_NAME values of vedderb/bldc hwconf/).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class KnownBootloader:
    date: str  # first shipped by VESC Tool
    file: str  # name in vesc_tool res/bootloaders/
    size: int  # bytes of the image; a sector-11 readback has 0xFF after them
    compression: bool  # supports heatshrink-compressed updates (needed for FW >= 6.00)
    sha256: str


def bootloader_hardware(file: str) -> tuple[tuple[str, ...], bool] | None:
    """The HW names a bootloader file is for, as VESC Tool names it (`410_o_411_o_412.bin`: HW 410, 411, 412), and
    whether that list is complete (a name abbreviated with `...` is not). None: `generic.bin`, for every board."""
    stem = file.split(" ")[0].removesuffix(".bin")
    if stem == "generic":
        return None
    parts = [p.strip(".") for p in stem.split("_o_")]
    return tuple(p for p in parts if p), "..." not in stem


KNOWN_BOOTLOADERS: tuple[KnownBootloader, ...] = (
    KnownBootloader("2017-09-04", "40_o_47_o_48_o_410_o_411_o_412_o_DAS_RS.bin", 4272, False,
                    "b458df386b4ad508e809f1c7898953905606001afe57e66271838a76597eaf53"),
    KnownBootloader("2017-09-04", "60.bin", 4256, False,
                    "805b3dd5fd03d660c6b8039e5a1ea6bcee7df1993c1e9d8925633aad199e89f6"),
    KnownBootloader("2018-04-15", "generic.bin", 3808, False,
                    "c94b9dad2542096d3348b765f2d9681837b2eaa259e10fc40a9099b9224acc12"),
    KnownBootloader("2019-03-31", "generic.bin", 3792, False,
                    "a91de2014f55f9a73d046017968d1e28039fe143b02688a9b74950be3fd04181"),
    KnownBootloader("2019-09-03", "60_o_75_300_o_HD_o_UAVC_OMEGA.bin", 4288, False,
                    "8e96dc848a9e3c28cfe28eb6660d1b12564b5decfb8aebce1d9d682eab978d60"),
    KnownBootloader("2022-01-18", "40_o_47_o_48_o_410_o_411_o_412_o_DAS_RS.bin", 5728, True,
                    "cf2ba3b83216013055b4a30ce80b42e7996ec0161b6991f3e1269477e99a33e9"),
    KnownBootloader("2022-01-18", "60_o_75_300_o_HD60_o_..._HD75.bin", 5744, True,
                    "8b12527372826819302cb1378d06f382db025454b77c86073b716294a491852f"),
    KnownBootloader("2022-01-18", "generic.bin", 5248, True,
                    "0d1a533446020ddec704ffefcf7cfd3149f1707acf6d91e9c64ffedfb8cee15d"),
    KnownBootloader("2022-12-08", "40_o_47_o_48_o_410_o_411_o_412_o_DAS_RS.bin", 5776, True,
                    "339a9976176af14cc23389b0fdb64eab24654211ed5b523966cf35b8e0d4a1a5"),
    KnownBootloader("2022-12-08", "60_o_75_300_o_HD60_o_..._HD75.bin", 5776, True,
                    "d2c014d3b5faf843279d2b77325e128cace6d59ffa294fc0a7d68d96a57b0b33"),
    KnownBootloader("2022-12-08", "generic.bin", 5280, True,
                    "91d4e2e09594b422ec5e1aa976adc75fdfcaac455b59efa31aa304571242df06"),
)

# The sizes to try on a readback, largest first (a longer match is the better evidence).
BOOTLOADER_SIZES: tuple[int, ...] = tuple(sorted({b.size for b in KNOWN_BOOTLOADERS}, reverse=True))


@dataclass(frozen=True)
class KnownFirmware:
    version: str
    hw: str
    source: str  # vesc_tool commit and path


KNOWN_FIRMWARE: dict[str, KnownFirmware] = {
    "161bc03eb202492547847b5c741045cd8c2387fbe87fde5251ee72e6243c0246":
        KnownFirmware("3.40", "410", "vesc_tool 9e3de2a5 res/firmwares/410_o_411_o_412/VESC_default.bin"),
    "3e21cb8792b1c1bcf6b423244c9a22e971ff699b24e0025425a03bbc3e389905":
        KnownFirmware("5.03", "410", "vesc_tool ee934f9f res/firmwares/410_o_411_o_412/VESC_default.bin"),
    "a9e8a7ca7d4901d5253b3d7d47e3605c284cf176586271b9133e67ecf26fa263":
        KnownFirmware("5.03", "60", "vesc_tool ee934f9f res/firmwares/60/VESC_default.bin"),
}

# HW_NAME values of vedderb/bldc hwconf/ (master), plus older names vesc_tool's res/ folders spell.
HW_NAMES: frozenset[str] = frozenset({
    '100_250', '100_250_MKIII', '100_500', '140_300', '40', '410',
    '45', '46', '48', '49', '60', '60_75',
    '60_75_MK2', '60_MK3', '60_MK4', '60_MK5', '60_MK6', '60_MK6_HP',
    '60_MK6_MAX', '60v2_alva', '60v2_alva_mk1', '60v2_alva_mk2', '75_100', '75_100_V2',
    '75_300', '75_300_MKIV', '75_300_R2', '75_300_R3', '75_600', 'A100S_V4',
    'A200S V2.1', 'A200S V2.2', 'A200S_V3', 'A200S_V4', 'A200S_V41', 'ADV200',
    'ADV500', 'AXIOM', 'Cheap_FOCer_2', 'Cheap_FOCer_2_v09', 'Classic', 'Classicp',
    'DUET', 'DUET XS100', 'DUET XS60', 'EDU', 'ENNOID_150V_mk8', 'Example',
    'FOCSTrot V3.0', 'FOCSTrot V4.0', 'FSESC75300', 'FSESC_75_200_ALU', 'Flipsky_110_100', 'Flipsky_110_200',
    'Flipsky_110_300', 'Flipsky_110_400', 'Flipsky_412', 'Flipsky_60', 'Flipsky_60_MK5', 'Flipsky_75',
    'Flipsky_75_450', 'GESC', 'GP', 'Go-FOC DV6 PRO', 'Go-FOC G300', 'Go-FOC HI200',
    'Go-FOC HV200', 'Go-FOC M100', 'HD60', 'HD75', 'ITR_X1', 'JetFleetF6_20s',
    'JetFleetF6_24s', 'JetFleetF6_32s', 'KA160', 'KM75100', 'KM75300', 'LUNA_BBSHD',
    'LUNA_M600_V2', 'LUNA_M600_V2_Rev5', 'LUNA_M600_V2_Rev5_60V', 'Lightning400', 'Little_FOCer', 'Little_FOCer_V3',
    'Little_FOCer_V3_1', 'Little_FOCer_V4', 'MBOT', 'MBOT_PARALLEL', 'MKSESC_100_300_HP', 'MKSESC_75_100',
    'MKSESC_75_100_OLD', 'MKSESC_75_100_V2', 'MKSESC_75_100_V2_OLD', 'MKSESC_75_200_V2', 'MKSESC_75_200_V2_OLD',
    'MKSESC_84_100_HP',
    'MKSESC_84_200_HP', 'Maxim_120', 'Maxim_120_PH', 'Maxim_150', 'Maxim_150_PH', 'Maximp_120',
    'Maximp_120_PH', 'Maximp_150', 'Maximp_150_PH', 'Minim', 'Minim W60', 'Pronto',
    'R2', 'RB', 'RSR_DD_V1', 'RSR_DD_V2', 'RSR_DD_V2.1', 'Raiden7',
    'SOLO', 'SPARKF', 'SPEsc V3.1_BMI', 'SPEsc V3.1_LSM', 'STORMCORE_100D', 'STORMCORE_100DX',
    'STORMCORE_100DX_PARALLEL', 'STORMCORE_100D_PARALLEL', 'STORMCORE_100D_V2', 'STORMCORE_100D_V2_PARALLEL',
    'STORMCORE_100S', 'STORMCORE_60D',
    'STORMCORE_60D+', 'STORMCORE_60Dxs', 'STR365', 'STR365_150', 'STR500', 'STR500_01',
    'STR500_HP', 'TRONIC_250R', 'Thor300', 'Thor301', 'Thor400', 'Thor400v2',
    'UBOX_126_100', 'UBOX_126_160', 'UBOX_SINGLE_100', 'UBOX_SINGLE_75', 'UBOX_SINGLE_80', 'UBOX_SINGLE_85_200',
    'UBOX_V1_75_MICRO', 'UBOX_V1_75_TYPEC', 'UBOX_V2_100', 'UBOX_V2_75', 'UNITY', 'UNITY_PARALLEL',
    'VESC_BASIC', 'VESC_BASIC_025', 'VESC_BASIC_035', 'Warrior6', 'X12_PRO24', 'X12_PRO30',
    'a50s_12s', 'a50s_12s_hg', 'a50s_6s', 'a50s_6s_hg', 'a50s_dual_12s', 'a50s_dual_8s',
    'a50s_v23_12s', 'a50s_v23_20s', 'a50s_v23_6s', 'a50s_v23_8s', 'a50s_v23c_12s', 'a50s_v23c_8s',
    # older releases
    'DAS_RS', 'UAVC_OMEGA', 'HD',
})


# How riders write their hardware, mapped to the HW name the firmware uses (the VESC 4.10-4.12 all run "410").
HW_ALIASES = {"4.10": "410", "4.11": "410", "4.12": "410", "411": "410", "412": "410"}


def hw_answer(text: str) -> str:
    """The HW name for a rider's answer to `hw` (a known name, a common spelling of one, or `unsure`).

    ValueError, saying what is accepted, for anything else: an unknown name compared with the firmware's would
    report wrong-hardware firmware on a healthy board.
    """
    value = text.strip()
    key = value.lower().removeprefix("vesc").strip().removeprefix("v").strip()
    if value.lower() == "unsure":
        return "unsure"
    if value in HW_NAMES:
        return value
    if key in HW_ALIASES:
        return HW_ALIASES[key]
    matches = [name for name in HW_NAMES if name.lower() == value.lower()]
    if len(matches) == 1:
        return matches[0]
    raise ValueError(f"{value!r} is not a VESC HW name vescdoctor knows (e.g. 410 for VESC 4.10-4.12, 60, "
                     "75_300); `vescdoctor inspect FW.bin` shows the name a firmware is built for; or answer unsure")
