// expect: foreign_namespace
namespace std {
inline int fixture_helper() { return 42; }
}  // namespace std
