// expect: asm
// The macro is defined in a trusted location (testdata/trusted, passed with
// --trusted-include) but expanded here: the expansion is untrusted code.
#include "trusted_asm_macro.h"

void Spin() { FIXTURE_TRUSTED_PAUSE(); }
