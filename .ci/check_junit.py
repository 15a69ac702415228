"""Fail CI when a test was skipped, or when no PostgreSQL test ran."""

import sys
import xml.etree.ElementTree as ET

# Our own pytest wrote this file a moment ago: it is not untrusted input.
cases = list(ET.parse(sys.argv[1]).getroot().iter("testcase"))  # noqa: S314
skipped = [c for c in cases if c.find("skipped") is not None]
postgres = [c for c in cases if "postgresql" in c.get("name", "") and c not in skipped]
for case in skipped:
    reason = case.find("skipped").get("message", "")  # type: ignore[union-attr]
    print(f"skipped: {case.get('classname')}::{case.get('name')}: {reason}")
print(f"{len(cases)} tests, {len(skipped)} skipped, {len(postgres)} ran on PostgreSQL")
if skipped or not postgres:
    sys.exit(1)
