// expect: memfunc
struct Regs {
  int a;
  int b;
};

void Clear(Regs& regs) { __builtin_memset(&regs, 0, sizeof(regs)); }
