// expect: non_cxx_source
int answer(void) { return 42; }
