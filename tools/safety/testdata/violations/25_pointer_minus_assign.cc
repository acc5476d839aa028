// expect: pointer_arithmetic
const char* Back(const char* text, int n) {
  text -= n;
  return text;
}
