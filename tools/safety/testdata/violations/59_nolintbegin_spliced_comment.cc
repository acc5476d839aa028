// expect: nolint
// NO\
LINTBEGIN
int Answer() { return 42; }
