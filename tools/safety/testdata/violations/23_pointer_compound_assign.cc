// expect: pointer_arithmetic
const char* SkipPrefix(const char* text) {
  text += 2;
  return text;
}
