// expect: pointer_difference
// Subtracting two pointers yields a ptrdiff_t, not a pointer, so clang-tidy's
// pointer-arithmetic check misses it; the AST layer reports it.
long Distance(const int* p, const int* q) { return p - q; }
