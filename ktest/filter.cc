#include "ktest/filter.h"

namespace ktest {
namespace {

// The characters of "suite.name" without building the string.
class JoinedName {
 public:
  JoinedName(std::string_view suite, std::string_view name) : suite_(suite), name_(name) {}
  size_t size() const { return suite_.size() + 1 + name_.size(); }
  char operator[](size_t i) const {
    if (i < suite_.size()) return suite_[i];
    if (i == suite_.size()) return '.';
    return name_[i - suite_.size() - 1];
  }

 private:
  std::string_view suite_;
  std::string_view name_;
};

// Classic greedy matcher: on a mismatch, backtrack to the most recent '*' and
// let it absorb one more character.
template <typename Text>
bool Glob(std::string_view pattern, const Text& text) {
  size_t p = 0;
  size_t t = 0;
  size_t star_p = std::string_view::npos;
  size_t star_t = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star_p = p++;
      star_t = t;
    } else if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
      ++p;
      ++t;
    } else if (star_p != std::string_view::npos) {
      p = star_p + 1;
      t = ++star_t;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

// True if any non-empty glob in the ':'-separated `list` matches `text`.
bool AnyGlobMatches(std::string_view list, const JoinedName& text) {
  while (true) {
    size_t colon = list.find(':');
    std::string_view glob = list.substr(0, colon);
    if (!glob.empty() && Glob(glob, text)) return true;
    if (colon == std::string_view::npos) return false;
    list.remove_prefix(colon + 1);
  }
}

bool AllGlobsEmpty(std::string_view list) {
  for (char c : list) {
    if (c != ':') return false;
  }
  return true;
}

int Compare(std::string_view a, std::string_view b) {
  int c = a.compare(b);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

// Strict weak order of (name, section index).
bool Before(const TestCase& a, size_t ia, const TestCase& b, size_t ib) {
  int c = CompareTestNames({a.suite, a.name}, {b.suite, b.name});
  return c != 0 ? c < 0 : ia < ib;
}

}  // namespace

bool GlobMatch(std::string_view pattern, std::string_view text) { return Glob(pattern, text); }

TestFilter::TestFilter(std::string_view spec) {
  size_t dash = spec.find('-');
  positive_ = spec.substr(0, dash);
  if (dash != std::string_view::npos) negative_ = spec.substr(dash + 1);
}

bool TestFilter::Matches(std::string_view suite, std::string_view name) const {
  JoinedName full(suite, name);
  bool positive = AllGlobsEmpty(positive_) || AnyGlobMatches(positive_, full);
  return positive && !AnyGlobMatches(negative_, full);
}

std::optional<TestName> ParseTestName(std::string_view full_name) {
  size_t dot = full_name.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 == full_name.size()) {
    return std::nullopt;
  }
  return TestName{full_name.substr(0, dot), full_name.substr(dot + 1)};
}

int CompareTestNames(const TestName& a, const TestName& b) {
  int c = Compare(a.suite, b.suite);
  return c != 0 ? c : Compare(a.name, b.name);
}

std::optional<size_t> NextTestCase(std::span<const TestCase> cases,
                                   std::optional<size_t> previous) {
  std::optional<size_t> best;
  for (size_t i = 0; i < cases.size(); ++i) {
    if (previous.has_value() && !Before(cases[*previous], *previous, cases[i], i)) continue;
    if (!best.has_value() || Before(cases[i], i, cases[*best], *best)) best = i;
  }
  return best;
}

std::optional<std::string_view> CmdlineValue(std::string_view cmdline, std::string_view key) {
  std::optional<std::string_view> found;
  size_t i = 0;
  while (i < cmdline.size()) {
    if (cmdline[i] == ' ' || cmdline[i] == '\t' || cmdline[i] == '\n') {
      ++i;
      continue;
    }
    // One word: runs to the next blank outside double quotes.
    size_t start = i;
    bool quoted = false;
    while (i < cmdline.size() &&
           (quoted || (cmdline[i] != ' ' && cmdline[i] != '\t' && cmdline[i] != '\n'))) {
      if (cmdline[i] == '"') quoted = !quoted;
      ++i;
    }
    std::string_view word = cmdline.substr(start, i - start);
    if (word.size() > key.size() && word.substr(0, key.size()) == key && word[key.size()] == '=') {
      std::string_view value = word.substr(key.size() + 1);
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
      }
      found = value;
    }
  }
  return found;
}

Options ParseOptions(std::string_view cmdline) {
  Options options;
  options.filter = CmdlineValue(cmdline, "ktest.filter").value_or("");
  options.resume_after = CmdlineValue(cmdline, "ktest.resume_after");
  return options;
}

bool Selected(const Options& options, const TestCase& test) {
  if (!TestFilter(options.filter).Matches(test.suite, test.name)) return false;
  if (!options.resume_after.has_value()) return true;
  std::optional<TestName> resume = ParseTestName(*options.resume_after);
  if (!resume.has_value()) return true;
  return CompareTestNames({test.suite, test.name}, *resume) > 0;
}

}  // namespace ktest
