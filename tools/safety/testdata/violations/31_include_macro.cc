// expect: include
#define FIXTURE_HEADER <array>
#include FIXTURE_HEADER

int Answer() { return 42; }
