#!/usr/bin/env python3
"""Runs Doxygen over ostd's public headers (tools/docs/BUILD).

    doxygen.py --doxyfile F --filter S [--html DIR] [--baseline B] HEADER...

With --html, writes the API reference pages to DIR. With --baseline, checks
instead: every public declaration Doxygen reports as undocumented must be listed
in B (known debt), and every entry of B must still be undocumented, so the list
only shrinks. Prints the offenders and exits 1 if either fails.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

WARNING = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+): warning: (?P<text>.*) is not documented\.$")


def run_doxygen(doxyfile, filt, headers, out_dir, html):
    with open(doxyfile, encoding="utf-8") as f:
        config = f.read()
    config += "\nINPUT_FILTER = %s\n" % os.path.abspath(filt)
    config += "INPUT = %s\n" % " ".join(headers)
    config += "OUTPUT_DIRECTORY = %s\n" % out_dir
    config += "GENERATE_HTML = %s\n" % ("YES" if html else "NO")
    proc = subprocess.run(["doxygen", "-"], input=config, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit("doxygen failed:\n" + proc.stderr)
    return proc.stderr


def undocumented(warnings):
    """Set of 'path: Kind name' for each undocumented declaration."""
    found = {}
    for line in warnings.splitlines():
        m = WARNING.match(line)
        if m:
            path = os.path.relpath(m.group("file"))
            found.setdefault("%s: %s" % (path, m.group("text")), "%s:%s" % (path, m.group("line")))
    return found


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--doxyfile", required=True)
    parser.add_argument("--filter", required=True)
    parser.add_argument("--html")
    parser.add_argument("--baseline")
    parser.add_argument("headers", nargs="+")
    args = parser.parse_args()
    if args.html:
        os.makedirs(args.html, exist_ok=True)
        run_doxygen(args.doxyfile, args.filter, args.headers, args.html, html=True)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        found = undocumented(run_doxygen(args.doxyfile, args.filter, args.headers, tmp, html=False))
    known = set()
    if args.baseline:
        with open(args.baseline, encoding="utf-8") as f:
            known = {l.strip() for l in f if l.strip() and not l.startswith("#")}
    new = sorted(k for k in found if k not in known)
    fixed = sorted(known - set(found))
    for k in new:
        print("%s: undocumented public declaration: %s" % (found[k], k.split(": ", 1)[1]))
    for k in fixed:
        print("now documented, remove from %s: %s" % (args.baseline, k))
    print("doc check: %d public headers, %d undocumented declarations (%d known), %d new, %d stale"
          % (len(args.headers), len(found), len(known), len(new), len(fixed)))
    return 1 if new or fixed else 0


if __name__ == "__main__":
    sys.exit(main())
