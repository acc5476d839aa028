// expect: uninit_pointer
// A pointer with no initializer is whatever the stack held.
struct Block {
  int value = 0;
};

void Poke(bool cond) {
  Block* p;
  if (cond) p->value = 1;
}
