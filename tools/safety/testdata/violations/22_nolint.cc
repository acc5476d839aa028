// expect: nolint
int Answer() { return 42; }  // NOLINT
