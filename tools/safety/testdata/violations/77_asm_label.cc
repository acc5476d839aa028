// expect: asm
// An asm label binds a declaration to any symbol, e.g. a TCB-internal one.
int Secret() asm("ostd_internal_secret");
