// expect: volatile
int ReadTwice(const volatile int& reg) { return reg + reg; }
