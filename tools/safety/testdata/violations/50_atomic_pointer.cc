// expect: pointer_atomic
#include <atomic>

std::atomic<int*> cursor{nullptr};

void Advance() { cursor.fetch_add(16); }
