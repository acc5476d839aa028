// expect: line_directive
#line 400
int Answer() { return 42; }
