//===- TrainChecker.h - The checker of a train block ------------*- C++ -*-===//
//
// Shared by Train.cpp (values, optimizer, metrics, teacher forcing, the
// block as a whole) and TrainData.cpp (the data sources). Private to
// frontend/; sema::checkTrainSettings is the entry point.
//
//===----------------------------------------------------------------------===//
#ifndef SEQC_FRONTEND_TRAINCHECKER_H
#define SEQC_FRONTEND_TRAINCHECKER_H

#include "SemaSupport.h"

#include <optional>
#include <string>
#include <vector>

namespace seqc::sema {

using ast::Expr;
using llvm::SMLoc;
using llvm::SMRange;
using llvm::StringRef;
using llvm::Twine;

/// The arguments of a call in a train setting, matched to its formals.
struct CallArgs {
  std::vector<const Expr *> values; // per formal; null if not given
  std::vector<SMLoc> locs;          // where each was given (the keyword)
};

class TrainChecker {
public:
  TrainChecker(TrainSpec &spec, Reporter &reporter)
      : spec(spec), reporter(reporter) {}

  TrainCheck run(const ast::TrainDecl &train);

private:
  void error(SMLoc loc, const Twine &message,
             llvm::ArrayRef<SMRange> ranges = {}) {
    reporter.error(loc, message, ranges);
    result.ok = false;
    ++errors;
  }
  void errorAt(const Expr &expr, const Twine &message) {
    error(expr.loc(), message, expr.range);
  }

  // Values.
  std::optional<double> number(const Expr &expr, StringRef what);
  std::optional<int64_t> integer(const Expr &expr, StringRef what,
                                 bool positive);
  std::optional<bool> boolean(const Expr &expr, StringRef what);
  std::optional<std::string> string(const Expr &expr, StringRef what,
                                    StringRef example);
  std::optional<std::vector<std::string>>
  stringList(const Expr &expr, StringRef what, StringRef example);
  std::optional<double> inRange(const Expr &expr, StringRef what, double low,
                                bool lowOpen, double high, bool highOpen,
                                StringRef meaning = "");

  /// Matches the arguments of `call` (a Call, or an Ident for a call
  /// without arguments) to `formals`; the first `positional` of them may be
  /// given by position. Reports unknown and repeated arguments and binds the
  /// others, so that the caller can check their values too.
  bool bindCall(const Expr &call, StringRef signature,
                llvm::ArrayRef<std::string> formals, unsigned positional,
                CallArgs &args);

  void checkData(const Expr &value);
  void checkSequenceData(const Expr &value, DataSourceKind kind);
  void checkDataFiles(const Expr &value, DataSourceKind kind,
                      const CallArgs &args, int file, int train, int valid,
                      int split);
  void checkOptimizer(const Expr &value);
  void checkMetrics(const Expr &value);
  void checkMetricTargets();
  void checkTeacherForcing(const Expr &value);
  const Expr *teacherForcing = nullptr;

  TrainSpec &spec;
  Reporter &reporter;
  TrainCheck result;
  bool hasData = false;
  bool dataFailed = false;
  unsigned errors = 0;
  const Expr *dataExpr = nullptr;
  std::vector<const Expr *> metricExprs; // parallel to spec.metrics
};

} // namespace seqc::sema

#endif // SEQC_FRONTEND_TRAINCHECKER_H
