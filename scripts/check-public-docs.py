#!/usr/bin/env python3
"""Every public symbol of the Baton library has a documentation comment.

Reads the symbol graph DocC uses (`swift package dump-symbol-graph --minimum-access-level
public`) and lists the public symbols declared in the Baton module without one, with their
source location. Exit 1 if there are any.

    scripts/check-public-docs.py .build/x86_64-unknown-linux-gnu/symbolgraph/Baton.symbols.json
"""
import json
import sys

graph = json.load(open(sys.argv[1]))
missing = []
count = 0
for symbol in graph["symbols"]:
    if symbol.get("accessLevel") != "public":
        continue
    location = symbol.get("location", {})
    uri = location.get("uri", "")
    if "/Sources/Baton/" not in uri:
        continue  # inherited from the standard library or Foundation
    count += 1
    if not symbol.get("docComment", {}).get("lines"):
        line = location.get("position", {}).get("line", 0) + 1
        name = ".".join(symbol["pathComponents"])
        missing.append(f"{uri.split('/Sources/', 1)[1]}:{line}: {symbol['kind']['displayName'].lower()} {name}")
for entry in sorted(missing):
    print(f"Sources/{entry}: no documentation comment")
print(f"{count} public symbols, {count - len(missing)} documented", file=sys.stderr)
sys.exit(1 if missing else 0)
