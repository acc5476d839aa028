// expect: downcast
struct Base {
  virtual ~Base() = default;
};
struct Derived : Base {
  int secret = 0;
};

int Peek(Base& b) { return static_cast<Derived&>(b).secret; }
