"""Checks the built distributions: the sdist holds what a wheel is built from, every wheel the data.

Usage: python .ci/check_dists.py SDIST WHEEL [WHEEL ...]

The wheels (one built from the tree, one from the sdist) must list the same files, so a wheel
built from the sdist is as complete as one built from a checkout.
"""

from __future__ import annotations

import sys
import tarfile
import zipfile

SDIST_FILES = ("LICENSE", "rules/agents.yaml", "rules/terms/x.yaml", "example_project/demoweb/expected.yaml")
PROJECT = "scrapy_policyguard/demo/example_project/"
WHEEL_FILES = (
    "scrapy_policyguard/py.typed",
    "scrapy_policyguard/rules/agents.yaml",
    "scrapy_policyguard/rules/terms/x.yaml",
    "scrapy_policyguard/rules/terms/reddit.yaml",
    "scrapy_policyguard/demo/web.py",
    PROJECT + "scrapy.cfg",
    PROJECT + "example_project/settings.py",
    PROJECT + "example_project/spiders/demo.py",
    PROJECT + "demoweb/expected.yaml",
    PROJECT + "demoweb/sites/bookhouse.example/.well-known/tdmrep.json",
)


def main(sdist: str, *wheels: str) -> None:
    with tarfile.open(sdist) as tar:
        names = {name.split("/", 1)[1] for name in tar.getnames() if "/" in name}
    missing = [name for name in SDIST_FILES if name not in names]
    assert not missing, f"{sdist} lacks {missing}"
    listings = []
    for wheel in wheels:
        with zipfile.ZipFile(wheel) as whl:
            names = set(whl.namelist())
            metadata = next(whl.read(n).decode() for n in names if n.endswith(".dist-info/METADATA"))
        missing = [name for name in WHEEL_FILES if name not in names]
        assert not missing, f"{wheel} lacks {missing}"
        assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names), f"{wheel} has no LICENSE"
        assert "License-Expression: BSD-3-Clause" in metadata, f"{wheel}: no SPDX licence in METADATA"
        listings.append(names)
        print(f"ok  {wheel}: {len(names)} files")
    for wheel, listing in zip(wheels, listings, strict=True):
        assert listing == listings[0], f"{wheel} and {wheels[0]} differ: {sorted(listing ^ listings[0])}"
    print(f"ok  {sdist}")


if __name__ == "__main__":
    main(*sys.argv[1:])
