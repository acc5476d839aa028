// expect: pragma
_Pragma("GCC system_header")
int Answer() { return 42; }
