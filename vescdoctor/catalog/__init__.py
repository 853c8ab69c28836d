"""The catalog of official VESC images and getting them safely.

    releases: the catalog (knowledge/catalog.json): by_sha256, match_release, firmware_for, bootloader_for
    fetch:    an image from the cache, a local checkout (--from), a mirror (--mirror) or its public URL, checked
              against the catalog's sha256 and size before it is kept
    resolve:  the images a fix needs that were not given, from the catalog
"""
