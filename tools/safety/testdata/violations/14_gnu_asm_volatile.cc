// expect: asm
void Halt() { __asm__ volatile("hlt"); }
