// ostd/patch/insn.h: the x86-64 instruction decoder under kprobes (and the
// base a TDX #VE instruction decoder would build on). It decodes kernel and
// module text, not outside bytes, but a wrong length there breaks a probe,
// so it is fuzzed too: any bytes give an instruction or EILSEQ.
#include "fuzz/fuzz_check.h"
#include "ostd/patch/insn.h"

using ostd::patch::Insn;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> code = fuzz::Bytes(data, size);
  ostd::Result<Insn> insn = ostd::patch::DecodeInsn(code);
  if (insn.has_value()) {
    FUZZ_CHECK(insn->length >= 1 && insn->length <= ostd::patch::kMaxInsnLength);
    FUZZ_CHECK(insn->length <= size);
    if (insn->rip_relative) FUZZ_CHECK(insn->disp_offset + 4u <= insn->length);
    // Decoding only the instruction's own bytes gives the same instruction.
    ostd::Result<Insn> again = ostd::patch::DecodeInsn(code.first(insn->length));
    FUZZ_CHECK(again.has_value() && again->length == insn->length && again->kind == insn->kind);
    if (insn->length > 1) {
      FUZZ_CHECK(!ostd::patch::DecodeInsn(code.first(insn->length - 1u)).has_value());
    }
  }
  // Walk the bytes as a function: DecodeAt agrees with the walk.
  uint64_t off = 0;
  for (int n = 0; n < 64 && off < size; ++n) {
    ostd::Result<Insn> at = ostd::patch::DecodeAt(code, off);
    if (!at.has_value()) break;
    ostd::Result<Insn> direct = ostd::patch::DecodeInsn(code.subspan(off));
    FUZZ_CHECK(direct.has_value() && direct->length == at->length);
    off += at->length;
  }
  for (uint8_t cond = 0; cond < 16; ++cond) (void)ostd::patch::ConditionHolds(cond, size);
  return 0;
}
