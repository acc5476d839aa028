// expect: pointer_arithmetic
int Second(int* values) {
  values++;
  return *values;
}
