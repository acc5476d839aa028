// expect: pragma
#pragma clang system_header
int Answer() { return 42; }
