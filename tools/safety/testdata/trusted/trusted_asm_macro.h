// Fixture-only trusted header (lint.py --trusted-include): a macro defined in
// a trusted location. Expanded in untrusted code, its asm is untrusted code.
#pragma once
#define FIXTURE_TRUSTED_PAUSE() asm volatile("pause")
