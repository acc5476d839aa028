// expect: pointer_arithmetic
int At(const int* values, int index) { return values[index]; }
