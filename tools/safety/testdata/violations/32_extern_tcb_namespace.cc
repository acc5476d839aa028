// expect: foreign_namespace
// Re-declares a TCB function to call it without ostd's public header.
namespace ostd::mm {
void FreeFrames(unsigned long paddr, unsigned long count);
}  // namespace ostd::mm

void Leak() { ostd::mm::FreeFrames(0x1000, 1); }
