// expect: computed_goto
// `goto *p` jumps to whatever address p holds.
int Jump(int x) {
  void* target = &&out;
  if (x != 0) goto *target;
  return 1;
out:
  return 2;
}
