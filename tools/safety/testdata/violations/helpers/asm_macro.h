// Helper header of 65_macro_asm_untrusted_header.cc: a macro that expands to asm.
#pragma once
#define FIXTURE_NOP() asm("nop")
