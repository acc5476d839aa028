// expect: raw_memory
#include <new>

int Reread(int& v) { return *std::launder(&v); }
