//===- SemaSupport.cpp - Helpers shared by the checkers -------------------===//

#include "SemaSupport.h"
#include "seqc/Frontend/Frontend.h"

#include "llvm/Support/raw_ostream.h"

#include <cmath>

using namespace seqc;
using namespace seqc::sema;
using llvm::StringRef;

std::string sema::formatShape(const Shape &shape) {
  std::string out = "[";
  llvm::raw_string_ostream os(out);
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i)
      os << ", ";
    if (!shape[i].name.empty())
      os << shape[i].name << "=";
    os << shape[i].size;
  }
  os << "]";
  return out;
}

std::string sema::formatDim(const tir::Dim &dim) {
  if (dim.name.empty())
    return std::to_string(dim.size);
  return dim.name + "=" + std::to_string(dim.size);
}

bool sema::sameSizes(const Shape &a, const Shape &b) {
  if (a.size() != b.size())
    return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i].size != b[i].size)
      return false;
  return true;
}

std::optional<Shape> sema::broadcast(const Shape &a, const Shape &b) {
  size_t rank = std::max(a.size(), b.size());
  Shape result(rank);
  for (size_t i = 0; i < rank; ++i) {
    const tir::Dim *da = i < a.size() ? &a[a.size() - 1 - i] : nullptr;
    const tir::Dim *db = i < b.size() ? &b[b.size() - 1 - i] : nullptr;
    tir::Dim &out = result[rank - 1 - i];
    if (!da || !db) {
      out = da ? *da : *db;
    } else if (da->size == db->size) {
      out = da->name.empty() ? *db : *da;
    } else if (da->size == 1) {
      out = *db;
    } else if (db->size == 1) {
      out = *da;
    } else {
      return std::nullopt;
    }
  }
  return result;
}

std::string sema::suggest(StringRef name,
                          llvm::ArrayRef<std::string> candidates) {
  // One-letter names are dimension-like (H, I, O): any other letter is one
  // edit away, so a suggestion would be noise.
  if (name.size() < 2)
    return "";
  std::string best;
  unsigned bestDistance = (name.size() + 2) / 3 + 1;
  for (const std::string &candidate : candidates) {
    unsigned distance = name.edit_distance(candidate, true, bestDistance);
    if (distance < bestDistance && candidate != name) {
      bestDistance = distance;
      best = candidate;
    }
  }
  if (best.empty())
    return "";
  return "; did you mean '" + best + "'?";
}

std::string sema::joinNames(llvm::ArrayRef<std::string> names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i)
    out += (i ? ", " : "") + names[i];
  return out;
}

std::string sema::formatNumber(double value) {
  std::string out;
  llvm::raw_string_ostream os(out);
  if (value == std::floor(value) && std::fabs(value) < 1e15)
    os << int64_t(value);
  else
    os << value;
  return out;
}

StringRef sema::sourceText(const ast::Expr &expr) {
  const char *start = expr.range.Start.getPointer();
  const char *end = expr.range.End.getPointer();
  if (!start || !end || end < start)
    return "";
  return StringRef(start, end - start);
}

llvm::ArrayRef<std::string> sema::dataDimKindNames() {
  static const std::vector<std::string> kinds = {
      "features", "classes",      "targets",
      "vocab",    "source_vocab", "target_vocab"};
  return kinds;
}

std::vector<StringRef> seqc::dataDimKinds() {
  std::vector<StringRef> out;
  for (const std::string &kind : dataDimKindNames())
    out.push_back(kind);
  return out;
}
