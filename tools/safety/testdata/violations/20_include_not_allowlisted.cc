// expect: include
#include <vector>

int Answer() { return 42; }
