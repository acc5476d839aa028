// expect: uninit_pointer
// `Holder h;` leaves `target` as stack garbage.
struct Holder {
  int* target;
};

void Poke() {
  Holder h;
  *h.target = 1;
}
