// expect: cstyle_cast
int* AsInts(long* longs) { return (int*)longs; }
