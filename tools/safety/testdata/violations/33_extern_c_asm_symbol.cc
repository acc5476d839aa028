// expect: extern_decl
// Declares an assembly/TCB symbol that no untrusted file defines.
extern "C" void some_asm_symbol();

void Call() { some_asm_symbol(); }
