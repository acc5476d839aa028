"""One helper for the transitions that add compiler flags (fuzz.bzl, keel.bzl)."""

def append_flags(old, new):
    """`old` with `new` appended once: flags of `new` already in `old` move to the end.

    A transition that runs twice on the same configuration (a kernel image
    that depends on another one, say) leaves the flags as they were after the
    first run, so both reach the same configuration.
    """
    return [f for f in old if f not in new] + new
