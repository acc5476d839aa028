// expect: array_index
int Past() {
  int table[4] = {1, 2, 3, 4};
  return table[4];
}
