// expect: pointer_arithmetic
int* Next(int* values) { return values + 1; }
