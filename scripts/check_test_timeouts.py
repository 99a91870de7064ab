#!/usr/bin/env python3
"""Fails when a CTest test of the build directory given has no TIMEOUT of its own.

usage: check_test_timeouts.py BUILD_DIR

A test without one falls back to whatever timeout its caller gives ctest (or
none), so a hang in it would say nothing until CI's own limit. Every test
names what it runs (a corpus test its program), so a timeout says which.
"""
import json
import subprocess
import sys


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__.strip().split("\n\n")[1])
    listing = subprocess.run(["ctest", "--test-dir", sys.argv[1], "--show-only=json-v1"],
                             capture_output=True, text=True, check=False)
    if listing.returncode != 0:
        sys.exit(f"check_test_timeouts: ctest --show-only failed in {sys.argv[1]}:\n{listing.stderr}")
    tests = json.loads(listing.stdout)["tests"]
    missing = [t["name"] for t in tests
               if not any(p["name"] == "TIMEOUT" and float(p["value"]) > 0 for p in t.get("properties", []))]
    for name in missing:
        print(f"{name}: no TIMEOUT property")
    print(f"{len(tests) - len(missing)} of {len(tests)} tests have a timeout of their own")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
