#!/bin/sh
# Host check of scripts/profile's sampler library: packet codec,
# symbolization, flat profile, folded stacks and flame graph.
exec python3 "$(dirname "$0")/profile_lib.py" selftest
