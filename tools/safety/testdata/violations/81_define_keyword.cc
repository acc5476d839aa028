// expect: macro
// Redefining a keyword changes the meaning of every header included after it.
#define private public
int Answer() { return 42; }
