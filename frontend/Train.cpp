//===- Train.cpp - Checking the settings of a train block -----------------===//
//
// A train block is `key = value` lines whose values are expressions of a small
// vocabulary: calls like `csv("f.csv", split = 0.8)` and `adam(lr = 2e-3)`,
// strings, numbers, lists and the names true/false. This file checks them and
// fills the typed TrainSpec; the loss expression is kept for sema, which
// elaborates it with the model.
//
//===----------------------------------------------------------------------===//

#include "TrainChecker.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"

#include <cmath>

using namespace seqc;
using namespace seqc::sema;

namespace {

/// The keys of a train block, in the order messages list them.
const std::vector<std::string> &trainKeys() {
  static const std::vector<std::string> keys = {
      "data",    "loss",    "optimizer", "batch",     "epochs",         "seed",
      "shuffle", "metrics", "tbptt",     "recompute", "teacher_forcing"};
  return keys;
}

/// The keywords of each optimizer's call, in order (Optimizers.def).
const std::vector<std::string> &optimizerFormals(OptimizerKind kind) {
  static const std::vector<std::string> formals[] = {
#define SEQC_OPTIMIZER(Kind, name, ...) {__VA_ARGS__},
#include "seqc/Spec/Optimizers.def"
  };
  return formals[int(kind)];
}

/// "adam(lr, beta1, ...)": the optimizer's call with its keywords.
std::string optimizerSignature(OptimizerKind kind) {
  return optimizerName(kind) + ("(" + joinNames(optimizerFormals(kind))) + ")";
}

/// "a, b or c".
std::string joinAlternatives(llvm::ArrayRef<std::string> names) {
  if (names.size() < 2)
    return joinNames(names);
  return joinNames(names.drop_back()) + " or " + names.back();
}

/// "adam(lr = ...) or sgd(lr = ...)".
const std::string &optimizerChoices() {
  static const std::string choices = [] {
    std::vector<std::string> calls;
#define SEQC_OPTIMIZER(Kind, name, ...)                                        \
  calls.push_back(std::string(name) + "(lr = ...)");
#include "seqc/Spec/Optimizers.def"
    return joinAlternatives(calls);
  }();
  return choices;
}

/// Keys that name a setting of the optimizer or of the data: where it goes.
StringRef misplacedKeyHint(StringRef key) {
  for (OptimizerKind kind : {
#define SEQC_OPTIMIZER(Kind, name, ...) OptimizerKind::Kind,
#include "seqc/Spec/Optimizers.def"
       })
    if (llvm::is_contained(optimizerFormals(kind), key))
      return "optimizer";
  if (llvm::is_contained(
          {"split", "features", "label", "labels", "target", "standardize"},
          key))
    return "data";
  return "";
}

/// Keys reserved for features to come.
bool isReservedKey(StringRef key) {
  return llvm::is_contained({"bptt", "eval_every", "log_every", "checkpoint",
                             "patience", "schedule", "warmup", "weight_decay"},
                            key);
}

/// What the checker knows of a metric beyond Metrics.def.
struct MetricInfo {
  MetricKind kind;
  /// The target kinds it applies to.
  std::vector<TargetKind> targets;
  const char *needs; // what the message says it needs
};

const std::vector<MetricInfo> &metricInfos() {
  using T = TargetKind;
  using M = MetricKind;
  static const std::vector<MetricInfo> table = {
      {M::Accuracy,
       {T::ClassIndex, T::MultiLabel, T::Scalar, T::Vector},
       "a target (label = ..., labels = [...], or 0/1 in target = ...)"},
      {M::PrecisionAt,
       {T::ClassIndex, T::MultiLabel},
       "class labels (label = \"column\" or labels = [...])"},
      {M::Precision, {T::ClassIndex}, "class indices (label = \"column\")"},
      {M::Recall, {T::ClassIndex}, "class indices (label = \"column\")"},
      {M::F1, {T::ClassIndex}, "class indices (label = \"column\")"},
      {M::SpanF1, {T::ClassIndex}, "BIO tags per token (tagged(...) data)"},
      {M::Perplexity, {T::ClassIndex}, "class indices (label = \"column\")"},
      {M::NatsPerStep,
       {T::ClassIndex, T::Scalar, T::Vector},
       "a target per step (text(...), series(...), tagged(...) or "
       "pairs(...))"},
      {M::MSE,
       {T::Scalar, T::Vector, T::MultiLabel},
       "numeric targets (target = \"column\" or target = [...])"},
      {M::RMSE,
       {T::Scalar, T::Vector, T::MultiLabel},
       "numeric targets (target = \"column\" or target = [...])"},
      {M::Loss,
       {T::None, T::ClassIndex, T::Scalar, T::Vector, T::MultiLabel},
       ""},
  };
  return table;
}

/// The one keyword of a metric's call, or nullptr (Metrics.def).
const char *metricKeyword(MetricKind kind) {
  static const char *const keywords[] = {
#define SEQC_METRIC(Kind, name, keyword) keyword,
#include "seqc/Spec/Metrics.def"
  };
  return keywords[int(kind)];
}

/// "accuracy, precision_at(k = ...), ... or loss".
const std::string &metricChoices() {
  static const std::string choices = [] {
    std::vector<std::string> names;
    for (MetricKind kind : {
#define SEQC_METRIC(Kind, name, keyword) MetricKind::Kind,
#include "seqc/Spec/Metrics.def"
         }) {
      const char *keyword = metricKeyword(kind);
      names.push_back(metricName(kind) +
                      (keyword ? "(" + std::string(keyword) + " = ...)" : ""));
    }
    return joinAlternatives(names);
  }();
  return choices;
}

const MetricInfo *lookupMetric(MetricKind kind) {
  for (const MetricInfo &info : metricInfos())
    if (info.kind == kind)
      return &info;
  return nullptr;
}

} // namespace

namespace seqc::sema {

std::optional<double> TrainChecker::number(const Expr &expr, StringRef what) {
  if (expr.kind == Expr::Kind::Number)
    return expr.number;
  if (expr.kind == Expr::Kind::Neg && expr.lhs->kind == Expr::Kind::Number)
    return -expr.lhs->number;
  errorAt(expr,
          "'" + what + "' must be a number, got '" + sourceText(expr) + "'");
  return std::nullopt;
}

std::optional<int64_t> TrainChecker::integer(const Expr &expr, StringRef what,
                                             bool positive) {
  bool isInt = expr.kind == Expr::Kind::Number && expr.isInteger;
  if (!isInt || (positive && expr.integer <= 0)) {
    errorAt(expr, "'" + what + "' must be a " +
                      (positive ? "positive" : "non-negative") +
                      " integer, got '" + sourceText(expr) + "'");
    return std::nullopt;
  }
  return expr.integer;
}

std::optional<bool> TrainChecker::boolean(const Expr &expr, StringRef what) {
  if (expr.kind == Expr::Kind::Ident &&
      (expr.text == "true" || expr.text == "false"))
    return expr.text == "true";
  errorAt(expr, "'" + what + "' must be true or false, got '" +
                    sourceText(expr) + "'");
  return std::nullopt;
}

std::optional<std::string>
TrainChecker::string(const Expr &expr, StringRef what, StringRef example) {
  if (expr.kind != Expr::Kind::String) {
    errorAt(expr, "'" + what + "' must be a string, like " + example +
                      ", got '" + sourceText(expr) + "'");
    return std::nullopt;
  }
  if (expr.text.empty()) {
    errorAt(expr, "'" + what + "' must not be empty");
    return std::nullopt;
  }
  return expr.text;
}

std::optional<std::vector<std::string>>
TrainChecker::stringList(const Expr &expr, StringRef what, StringRef example) {
  if (expr.kind != Expr::Kind::List) {
    errorAt(expr, "'" + what + "' must be a list of column names, like " +
                      example + ", got '" + sourceText(expr) + "'");
    return std::nullopt;
  }
  if (expr.elements.empty()) {
    errorAt(expr, "'" + what + "' needs at least one column");
    return std::nullopt;
  }
  std::vector<std::string> out;
  llvm::StringMap<SMLoc> seen;
  bool ok = true;
  for (const auto &element : expr.elements) {
    std::optional<std::string> name = string(*element, what, "[\"a\", \"b\"]");
    if (!name) {
      ok = false;
      continue;
    }
    auto [it, inserted] = seen.try_emplace(*name, element->loc());
    if (!inserted) {
      errorAt(*element,
              "column '" + *name + "' is listed twice in '" + what + "'");
      reporter.note(it->second, "first listed here");
      ok = false;
      continue;
    }
    out.push_back(*name);
  }
  if (!ok)
    return std::nullopt;
  return out;
}

std::optional<double> TrainChecker::inRange(const Expr &expr, StringRef what,
                                            double low, bool lowOpen,
                                            double high, bool highOpen,
                                            StringRef meaning) {
  std::optional<double> value = number(expr, what);
  if (!value)
    return std::nullopt;
  bool ok = (lowOpen ? *value > low : *value >= low) &&
            (highOpen ? *value < high : *value <= high);
  if (!ok) {
    std::string range;
    if (high == HUGE_VAL)
      range = lowOpen ? "a positive number" : "a non-negative number";
    else
      range = std::string("a number in ") + (lowOpen ? "(" : "[") +
              formatNumber(low) + ", " + formatNumber(high) +
              (highOpen ? ")" : "]");
    errorAt(expr, "'" + what + "' must be " + range +
                      (meaning.empty() ? "" : " (" + meaning.str() + ")") +
                      ", got '" + sourceText(expr) + "'");
    return std::nullopt;
  }
  return value;
}

bool TrainChecker::bindCall(const Expr &call, StringRef signature,
                            llvm::ArrayRef<std::string> formals,
                            unsigned positional, CallArgs &args) {
  args.values.assign(formals.size(), nullptr);
  args.locs.assign(formals.size(), SMLoc());
  if (call.kind == Expr::Kind::Ident)
    return true;
  bool ok = true;
  unsigned nextPositional = 0;
  for (const ast::Arg &arg : call.args) {
    const Expr &value = *arg.value;
    size_t index;
    if (arg.keyword.empty()) {
      if (nextPositional >= positional) {
        errorAt(value,
                "too many arguments to '" + signature + "': " +
                    (positional == 0 ? Twine("give its settings by name")
                                     : Twine("only the first (") + formals[0] +
                                           ") can be given without its name"));
        ok = false;
        continue;
      }
      index = nextPositional++;
    } else {
      auto found = llvm::find(formals, arg.keyword);
      if (found == formals.end()) {
        error(arg.keywordLoc, "unknown keyword argument '" + arg.keyword +
                                  "' for '" + signature + "'" +
                                  suggest(arg.keyword, formals));
        ok = false;
        continue;
      }
      index = found - formals.begin();
    }
    SMLoc at = arg.keyword.empty() ? value.loc() : arg.keywordLoc;
    if (args.values[index]) {
      error(at,
            "argument '" + formals[index] + "' of '" + signature +
                "' is given twice",
            value.range);
      reporter.note(args.locs[index], "first given here");
      ok = false;
      continue;
    }
    args.values[index] = &value;
    args.locs[index] = at;
  }
  return ok;
}

//===----------------------------------------------------------------------===//
// optimizer = adam(...) | sgd(...)
//===----------------------------------------------------------------------===//

void TrainChecker::checkOptimizer(const Expr &value) {
  StringRef name = value.kind == Expr::Kind::Ident ? StringRef(value.text)
                                                   : value.calleeName();
  OptimizerSpec &opt = spec.optimizer;
  opt.loc = reporter.toLoc(value.loc());
  std::optional<OptimizerKind> kind = optimizerNamed(name);
  CallArgs args;
  if (kind) {
    bindCall(value, optimizerSignature(*kind), optimizerFormals(*kind), 1,
             args);
    opt.kind = *kind;
  }
  // The arguments in the order of the optimizer's keywords.
  if (kind == OptimizerKind::Adam) {
    if (args.values[0])
      if (auto v = inRange(*args.values[0], "lr", 0, true, HUGE_VAL, false))
        opt.lr = *v;
    if (args.values[1])
      if (auto v = inRange(*args.values[1], "beta1", 0, false, 1, true))
        opt.beta1 = *v;
    if (args.values[2])
      if (auto v = inRange(*args.values[2], "beta2", 0, false, 1, true))
        opt.beta2 = *v;
    if (args.values[3])
      if (auto v = inRange(*args.values[3], "eps", 0, true, HUGE_VAL, false))
        opt.epsilon = *v;
    if (args.values[4])
      if (auto v = inRange(*args.values[4], "clip_norm", 0, true, HUGE_VAL,
                           false, "the largest gradient norm"))
        opt.clipNorm = *v;
    return;
  }
  if (kind == OptimizerKind::Sgd) {
    opt.lr = 0.01;
    if (args.values[0])
      if (auto v = inRange(*args.values[0], "lr", 0, true, HUGE_VAL, false))
        opt.lr = *v;
    if (args.values[1])
      if (auto v = inRange(*args.values[1], "momentum", 0, false, 1, true))
        opt.momentum = *v;
    if (args.values[2])
      if (auto v = inRange(*args.values[2], "clip_norm", 0, true, HUGE_VAL,
                           false, "the largest gradient norm"))
        opt.clipNorm = *v;
    return;
  }
  if (name.empty())
    errorAt(value, "expected an optimizer, " + optimizerChoices() + ", got '" +
                       sourceText(value) + "'");
  else
    errorAt(value, "unknown optimizer '" + name + "': expected " +
                       optimizerChoices() +
                       suggest(name, {
#define SEQC_OPTIMIZER(Kind, name, ...) name,
#include "seqc/Spec/Optimizers.def"
                                     }));
}

//===----------------------------------------------------------------------===//
// metrics = [accuracy, precision_at(k = 3), ...]
//===----------------------------------------------------------------------===//

void TrainChecker::checkMetrics(const Expr &value) {
  std::vector<const Expr *> items;
  if (value.kind == Expr::Kind::List) {
    for (const auto &element : value.elements)
      items.push_back(element.get());
  } else {
    items.push_back(&value); // a single metric without brackets
  }
  std::vector<std::string> names;
  for (const MetricInfo &info : metricInfos())
    names.push_back(metricName(info.kind));
  llvm::StringMap<SMLoc> seen;
  for (const Expr *item : items) {
    StringRef name = item->kind == Expr::Kind::Ident ? StringRef(item->text)
                                                     : item->calleeName();
    std::optional<MetricKind> kind = metricNamed(name);
    const MetricInfo *info = kind ? lookupMetric(*kind) : nullptr;
    if (!info) {
      if (name.empty())
        errorAt(*item, "expected a metric (" + metricChoices() + "), got '" +
                           sourceText(*item) + "'");
      else
        errorAt(*item, "unknown metric '" + name + "': expected " +
                           metricChoices() + suggest(name, names));
      continue;
    }
    MetricSpec metric;
    metric.kind = info->kind;
    metric.loc = reporter.toLoc(item->loc());
    const char *keyword = metricKeyword(info->kind);
    if (keyword) {
      CallArgs args;
      if (!bindCall(*item, (name + "(" + keyword + ")").str(), {keyword}, 1,
                    args))
        continue;
      if (!args.values[0]) {
        errorAt(*item, "precision_at needs k, the number of top-scored "
                       "classes: precision_at(k = 5)");
        continue;
      }
      std::optional<int64_t> k = integer(*args.values[0], "k", true);
      if (!k)
        continue;
      metric.k = *k;
    } else if (item->kind == Expr::Kind::Call) {
      errorAt(*item,
              "metric '" + name + "' takes no arguments: write '" + name + "'");
      continue;
    }
    std::string key = metricName(metric.kind) +
                      (keyword ? "@" + std::to_string(metric.k) : "");
    auto [it, inserted] = seen.try_emplace(key, item->loc());
    if (!inserted) {
      errorAt(*item, "metric '" + sourceText(*item) + "' is listed twice");
      reporter.note(it->second, "first listed here");
      continue;
    }
    spec.metrics.push_back(metric);
    metricExprs.push_back(item);
  }
}

/// A metric compares predictions with targets of a certain kind.
void TrainChecker::checkMetricTargets() {
  if (!hasData || dataFailed)
    return;
  static const char *const kindNames[] = {
      "no target", "class indices (label = ...)",
      "a numeric target (target = ...)", "numeric targets (target = [...])",
      "0/1 labels (labels = [...])"};
  for (size_t i = 0; i < spec.metrics.size(); ++i) {
    const MetricSpec &metric = spec.metrics[i];
    const MetricInfo *info = lookupMetric(metric.kind);
    using K = DataSourceKind;
    DataSourceKind source = spec.data.kind;
    bool perStep = source == K::Text || source == K::Series ||
                   source == K::Tagged || source == K::Pairs;
    bool wrongSource =
        (metric.kind == MetricKind::NatsPerStep && !perStep) ||
        (metric.kind == MetricKind::SpanF1 && source != K::Tagged);
    if (info && wrongSource) {
      const Expr &item = *metricExprs[i];
      errorAt(item, "metric '" + Twine(metricName(metric.kind)) + "' needs " +
                        info->needs + ", but the data is " +
                        dataSourceName(source) + "(...)");
      reporter.note(dataExpr->loc(), "the data is given here", dataExpr->range);
      continue;
    }
    if (!info || llvm::is_contained(info->targets, spec.data.targetKind))
      continue;
    const Expr &item = *metricExprs[i];
    errorAt(item, "metric '" + Twine(metricName(metric.kind)) + "' needs " +
                      info->needs + ", but the data has " +
                      kindNames[int(spec.data.targetKind)]);
    reporter.note(dataExpr->loc(), "the data is given here", dataExpr->range);
  }
}

TrainCheck TrainChecker::run(const ast::TrainDecl &train) {
  spec.modelName = train.name;
  spec.loc = reporter.toLoc(train.keywordLoc);
  llvm::StringMap<SMLoc> seen;
  const std::vector<std::string> &keys = trainKeys();
  for (const ast::TrainSetting &setting : train.settings) {
    StringRef key = setting.key;
    if (!llvm::is_contained(keys, key)) {
      StringRef home = misplacedKeyHint(key);
      if (!home.empty())
        error(setting.keyLoc,
              "'" + key + "' is a setting of the " + home + ": write it in " +
                  (home == "data" ? "the data, like data = csv(\"data.csv\", " +
                                        key + " = ...)"
                                  : "the optimizer, like optimizer = adam(" +
                                        key + " = ...)"));
      else if (isReservedKey(key))
        error(setting.keyLoc,
              "train setting '" + key + "' is not supported yet");
      else
        error(setting.keyLoc, "unknown train setting '" + key +
                                  "': expected one of " + joinNames(keys) +
                                  suggest(key, keys));
      continue;
    }
    auto [seenIt, inserted] = seen.try_emplace(key, setting.keyLoc);
    if (!inserted) {
      error(setting.keyLoc,
            "duplicate definition of train setting '" + key + "'");
      reporter.note(seenIt->second, "previous definition is here");
      continue;
    }
    const Expr &value = *setting.value;
    if (key == "data") {
      result.data = &setting;
      dataExpr = &value;
      unsigned before = errors;
      checkData(value);
      dataFailed = errors != before;
    } else if (key == "loss") {
      result.loss = &setting;
      spec.loss = setting.text.str();
      spec.lossLoc = reporter.toLoc(value.loc());
    } else if (key == "optimizer") {
      checkOptimizer(value);
    } else if (key == "batch") {
      if (auto v = integer(value, "batch", true))
        spec.batch = *v;
    } else if (key == "epochs") {
      if (auto v = integer(value, "epochs", true))
        spec.epochs = *v;
    } else if (key == "seed") {
      if (auto v = integer(value, "seed", false))
        spec.seed = uint64_t(*v);
    } else if (key == "shuffle") {
      if (auto v = boolean(value, "shuffle"))
        spec.shuffle = *v;
    } else if (key == "tbptt") {
      if (auto v = integer(value, "tbptt", true))
        spec.tbptt = *v;
    } else if (key == "recompute") {
      if (auto v = integer(value, "recompute", true))
        spec.recompute = *v;
    } else if (key == "metrics") {
      checkMetrics(value);
    } else if (key == "teacher_forcing") {
      teacherForcing = &value;
    }
  }
  checkMetricTargets();
  if (teacherForcing)
    checkTeacherForcing(*teacherForcing);
  return result;
}

/// `teacher_forcing = 0.8` or `[1.0, 0.5]` (first epoch, last epoch): a
/// share in [0, 1], for a decoder reading its previous target.
void TrainChecker::checkTeacherForcing(const Expr &value) {
  std::vector<const Expr *> items;
  if (value.kind == Expr::Kind::List)
    for (const auto &element : value.elements)
      items.push_back(element.get());
  else
    items.push_back(&value);
  if (items.empty() || items.size() > 2) {
    errorAt(value, "teacher_forcing is a share of true tokens, like 0.8, or "
                   "its first and last epochs' values, like [1.0, 0.5]");
    return;
  }
  std::vector<double> shares;
  for (const Expr *item : items) {
    std::optional<double> share = number(*item, "teacher_forcing");
    if (!share)
      return;
    if (!(*share >= 0.0 && *share <= 1.0)) {
      errorAt(*item, "teacher_forcing must be between 0 and 1, got " +
                         sourceText(*item));
      return;
    }
    shares.push_back(*share);
  }
  if (hasData && !dataFailed && spec.data.kind != DataSourceKind::Pairs) {
    errorAt(value, Twine("teacher_forcing is for a decoder that reads its "
                         "previous target token: pairs(...) data, but the "
                         "data is ") +
                       dataSourceName(spec.data.kind) + "(...)");
    reporter.note(dataExpr->loc(), "the data is given here", dataExpr->range);
    return;
  }
  spec.teacherForcingStart = shares.front();
  spec.teacherForcingEnd = shares.back();
}

} // namespace seqc::sema

TrainCheck sema::checkTrainSettings(const ast::TrainDecl &train,
                                    TrainSpec &spec, Reporter &reporter) {
  return TrainChecker(spec, reporter).run(train);
}
