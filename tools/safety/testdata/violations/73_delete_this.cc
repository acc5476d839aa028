// expect: raw_new
class Refcounted {
 public:
  void Release() {
    if (--refs_ == 0) delete this;
  }

 private:
  int refs_ = 1;
};
