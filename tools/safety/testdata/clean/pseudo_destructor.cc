// A pseudo-destructor call on a scalar through a template (std::destroy-like
// generic code) ends nothing and is fine; only destructors of classes are
// rejected (rule destructor_call).
namespace clean {

template <typename T>
void EndScalar(T& v) {
  v.~T();
}

int UseScalar() {
  int x = 3;
  EndScalar(x);
  return 0;
}

}  // namespace clean
