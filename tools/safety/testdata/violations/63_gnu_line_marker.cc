// expect: line_directive
# 12 "ostd/mm/frame.cc" 3
int Answer() { return 42; }
