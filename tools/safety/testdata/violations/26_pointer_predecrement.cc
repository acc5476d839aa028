// expect: pointer_arithmetic
int Previous(const int* values) {
  --values;
  return *values;
}
