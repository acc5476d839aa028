// expect: union
struct Pun {
  union {
    int as_int;
    float as_float;
  };
};

float Convert(int v) {
  Pun p{};
  p.as_int = v;
  return p.as_float;
}
