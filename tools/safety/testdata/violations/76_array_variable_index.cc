// expect: array_index
int Lookup(int i) {
  static const int kTable[4] = {1, 2, 3, 4};
  return kTable[i];
}
