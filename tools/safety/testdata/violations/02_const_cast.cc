// expect: const_cast
int& Mutable(const int& value) { return const_cast<int&>(value); }
