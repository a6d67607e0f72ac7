//===- TrainData.cpp - Checking a train block's data source ---------------===//
//
// `data = csv(...) | tsv(...) | text(...) | sequences(...) | series(...) |
// pairs(...) | tagged(...)`: the files, splits and options of each source,
// into TrainSpec::data.
//
//===----------------------------------------------------------------------===//

#include "TrainChecker.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringSet.h"

#include <cmath>

using namespace seqc;

namespace seqc::sema {

//===----------------------------------------------------------------------===//
// data = csv(...)
//===----------------------------------------------------------------------===//

void TrainChecker::checkData(const Expr &value) {
  StringRef name = value.kind == Expr::Kind::Ident ? StringRef(value.text)
                                                   : value.calleeName();
  // tsv(...) is csv(...) with a tab separator.
  bool tsv = name == "tsv";
  std::optional<DataSourceKind> kind =
      tsv ? DataSourceKind::Csv : dataSourceNamed(name);
  if (kind && isSequenceSource(*kind))
    return checkSequenceData(value, *kind);
  if (!kind) {
    static const char *sources =
        "csv(\"file.csv\", ...), tsv(\"file.tsv\", ...), text(...), "
        "sequences(...), series(...), pairs(...) or tagged(...)";
    if (name.empty())
      errorAt(value, "expected a data source, " + Twine(sources) + ", got '" +
                         sourceText(value) + "'");
    else
      errorAt(value, "unknown data source '" + name + "': expected " + sources +
                         suggest(name, {"csv", "tsv", "text", "sequences",
                                        "series", "pairs", "tagged"}));
    return;
  }
  DataSpec &data = spec.data;
  data.kind = DataSourceKind::Csv;
  data.separator = tsv ? '\t' : ',';
  data.loc = reporter.toLoc(value.loc());
  hasData = true;

  enum Formal {
    File,
    Train,
    Valid,
    Split,
    Features,
    Label,
    Target,
    Labels,
    Standardize,
    NumFormals
  };
  static const std::vector<std::string> formals = {
      "file",  "train",  "valid",  "split",      "features",
      "label", "target", "labels", "standardize"};
  std::string signature = name.str() + "(file, split, features, label | "
                                       "target | labels, standardize)";
  CallArgs args;
  bindCall(value, signature, formals, 1, args);
  auto given = [&](Formal f) { return args.values[f]; };

  // Where the data is: one file, or a training and a validation file.
  std::string ext = name.str();
  std::string example = "\"data." + ext + "\"";
  if (given(File)) {
    if (auto path = string(*given(File), "file", example))
      data.path = *path;
    for (Formal f : {Train, Valid})
      if (given(f))
        error(args.locs[f],
              "'" + formals[f] +
                  "' cannot be given with a single file: give "
                  "either the file or train = and valid =",
              given(f)->range);
  } else if (given(Train) || given(Valid)) {
    for (Formal f : {Train, Valid}) {
      if (!given(f)) {
        Formal other = f == Train ? Valid : Train;
        error(args.locs[other],
              "'" + formals[other] + "' needs '" + formals[f] +
                  "' too: csv(train = \"a.csv\", valid = \"b.csv\")",
              given(other)->range);
        continue;
      }
      if (auto path = string(*given(f), formals[f], example))
        (f == Train ? data.trainPath : data.validPath) = *path;
    }
    if (given(Split))
      error(args.locs[Split],
            "'split' divides a single file: with train = and valid = there "
            "is nothing to split",
            given(Split)->range);
  } else {
    errorAt(value, name + "(...) needs a file: " + name + "(" + example +
                       ", ...) or " + name + "(train = \"a." + ext +
                       "\", valid = \"b." + ext + "\", ...)");
  }
  if (given(Split)) {
    if (auto split = inRange(*given(Split), "split", 0, true, 1, true,
                             "the training fraction"))
      data.split = *split;
  }

  // Targets: at most one of label, target, labels.
  const Formal targetFormals[] = {Label, Target, Labels};
  Formal first = NumFormals;
  for (Formal f : targetFormals) {
    if (!given(f))
      continue;
    if (first != NumFormals) {
      error(args.locs[f],
            "'" + formals[f] + "' and '" + formals[first] +
                "' cannot both be given: 'label' is a column of classes, "
                "'target' numbers to regress, 'labels' 0/1 columns of a "
                "multilabel task",
            given(f)->range);
      reporter.note(args.locs[first], "'" + formals[first] + "' is given here");
      continue;
    }
    first = f;
    const Expr &target = *given(f);
    if (f == Label) {
      if (auto name = string(target, "label", "label = \"species\"")) {
        data.targetKind = TargetKind::ClassIndex;
        data.targets = {*name};
      }
    } else if (f == Target && target.kind != Expr::Kind::List) {
      if (auto name = string(target, "target",
                             "target = \"price\" or target = [\"a\", \"b\"]")) {
        data.targetKind = TargetKind::Scalar;
        data.targets = {*name};
      }
    } else {
      if (auto names = stringList(target, formals[f], "[\"a\", \"b\"]")) {
        data.targetKind =
            f == Target ? TargetKind::Vector : TargetKind::MultiLabel;
        data.targets = *names;
      }
    }
  }

  if (given(Features)) {
    if (auto names =
            stringList(*given(Features), "features", "[\"a\", \"b\"]")) {
      data.features = *names;
      for (const std::string &name : data.features) {
        if (!llvm::is_contained(data.targets, name))
          continue;
        const Expr &list = *given(Features);
        for (const auto &element : list.elements)
          if (element->text == name)
            errorAt(*element,
                    "column '" + name + "' is both a feature and a target");
      }
    }
  }
  if (given(Standardize))
    if (auto flag = boolean(*given(Standardize), "standardize"))
      data.standardize = *flag;
}

//===----------------------------------------------------------------------===//
// data = text(...) | sequences(...) | series(...) | pairs(...) | tagged(...)
//===----------------------------------------------------------------------===//

/// One file (split by `split`) or a training and a validation file.
void TrainChecker::checkDataFiles(const Expr &value, DataSourceKind kind,
                                  const CallArgs &args, int file, int train,
                                  int valid, int split) {
  DataSpec &data = spec.data;
  StringRef name = dataSourceName(kind);
  std::string example = kind == DataSourceKind::Series  ? "\"data.csv\""
                        : kind == DataSourceKind::Pairs ? "\"data.tsv\""
                                                        : "\"data.txt\"";
  auto given = [&](int f) { return f < 0 ? nullptr : args.values[f]; };
  if (given(file)) {
    if (auto path = string(*given(file), "file", example))
      data.path = *path;
    for (int f : {train, valid})
      if (given(f))
        error(args.locs[f],
              "'" + Twine(f == train ? "train" : "valid") +
                  "' cannot be given with a single file: give either the "
                  "file or train = and valid =",
              given(f)->range);
  } else if (given(train) || given(valid)) {
    for (int f : {train, valid}) {
      StringRef formal = f == train ? "train" : "valid";
      if (!given(f)) {
        int other = f == train ? valid : train;
        error(args.locs[other],
              "'" + Twine(other == train ? "train" : "valid") + "' needs '" +
                  formal + "' too: " + name +
                  "(train = \"a.tsv\", valid = \"b.tsv\")",
              given(other)->range);
        continue;
      }
      if (auto path = string(*given(f), formal, example))
        (f == train ? data.trainPath : data.validPath) = *path;
    }
    if (given(split))
      error(args.locs[split],
            "'split' divides a single file: with train = and valid = there "
            "is nothing to split",
            given(split)->range);
  } else if (data.classFiles.empty()) {
    errorAt(value,
            name + "(...) needs a file: " + name + "(" + example + ", ...)");
  }
  if (given(split))
    if (auto fraction = inRange(*given(split), "split", 0, true, 1, true,
                                "the training fraction"))
      data.split = *fraction;
}

void TrainChecker::checkSequenceData(const Expr &value, DataSourceKind kind) {
  using K = DataSourceKind;
  DataSpec &data = spec.data;
  data.kind = kind;
  data.loc = reporter.toLoc(value.loc());
  hasData = true;
  CallArgs args;
  const Expr *windowExpr = nullptr;
  auto index = [](llvm::ArrayRef<std::string> formals, StringRef name) {
    auto it = llvm::find(formals, name);
    return it == formals.end() ? -1 : int(it - formals.begin());
  };
  auto given = [&](llvm::ArrayRef<std::string> formals,
                   StringRef name) -> const Expr * {
    int i = index(formals, name);
    return i < 0 ? nullptr : args.values[i];
  };

  if (kind == K::Series) {
    static const std::vector<std::string> formals = {
        "file",     "train",  "valid",       "split",
        "features", "target", "standardize", "window"};
    if (!bindCall(value,
                  "series(file, split, features, target, standardize, "
                  "window)",
                  formals, 1, args))
      return;
    checkDataFiles(value, kind, args, 0, 1, 2, 3);
    windowExpr = given(formals, "window");
    if (const Expr *features = given(formals, "features")) {
      if (auto names = stringList(*features, "features", "[\"a\", \"b\"]"))
        data.features = *names;
    }
    if (const Expr *target = given(formals, "target")) {
      if (target->kind == Expr::Kind::List) {
        if (auto names = stringList(*target, "target", "[\"a\", \"b\"]")) {
          data.targetKind = TargetKind::Vector;
          data.targets = *names;
        }
      } else if (auto name = string(*target, "target", "target = \"births\"")) {
        data.targetKind = TargetKind::Scalar;
        data.targets = {*name};
      }
    } else {
      errorAt(value, "series(...) needs the column to forecast: target = "
                     "\"column\" or target = [\"a\", \"b\"]");
    }
    if (const Expr *flag = given(formals, "standardize"))
      if (auto v = boolean(*flag, "standardize"))
        data.standardize = *v;
  } else if (kind == K::Pairs) {
    static const std::vector<std::string> formals = {
        "file", "train",       "valid",       "split",
        "unit", "source_unit", "target_unit", "min_count"};
    if (!bindCall(value,
                  "pairs(file | train, valid, split, unit, source_unit, "
                  "target_unit, min_count)",
                  formals, 1, args))
      return;
    data.targetKind = TargetKind::ClassIndex;
    checkDataFiles(value, kind, args, 0, 1, 2, 3);
    // `unit` is both sides'; source_unit and target_unit override it.
    for (StringRef name : {"unit", "source_unit", "target_unit"}) {
      const Expr *unit = given(formals, name);
      if (!unit)
        continue;
      std::optional<std::string> text =
          string(*unit, name, (name + " = \"char\"").str());
      if (!text)
        continue;
      if (*text != "char" && *text != "word") {
        errorAt(*unit,
                "unknown unit '" + *text + "': expected \"char\" or \"word\"");
        continue;
      }
      // In this order, so that a side's own unit wins over `unit`.
      if (name != "target_unit")
        data.unit = *text;
      if (name != "source_unit")
        data.targetUnit = *text;
    }
    if (const Expr *count = given(formals, "min_count"))
      if (auto v = integer(*count, "min_count", true))
        data.minCount = *v;
  } else if (kind == K::Tagged) {
    static const std::vector<std::string> formals = {
        "file", "train", "valid", "split", "column", "min_count"};
    if (!bindCall(value,
                  "tagged(file | train, valid, split, column, min_count)",
                  formals, 1, args))
      return;
    data.targetKind = TargetKind::ClassIndex;
    data.unit = "word";
    checkDataFiles(value, kind, args, 0, 1, 2, 3);
    if (const Expr *column = given(formals, "column")) {
      if (auto v = integer(*column, "column", true)) {
        if (*v == 1)
          errorAt(*column, "'column' is the labels' column, and column 1 "
                           "holds the tokens: give column = 2 or later");
        else
          data.labelColumn = *v;
      }
    }
    if (const Expr *count = given(formals, "min_count"))
      if (auto v = integer(*count, "min_count", true))
        data.minCount = *v;
  } else {
    static const std::vector<std::string> textFormals = {
        "file", "split", "unit", "window", "min_count"};
    static const std::vector<std::string> sequenceFormals = {
        "file",  "train", "valid",   "classes",
        "split", "unit",  "max_len", "min_count"};
    bool text = kind == K::Text;
    const auto &formals = text ? textFormals : sequenceFormals;
    if (!bindCall(value,
                  text ? "text(file, split, unit, window, min_count)"
                       : "sequences(file | train, valid | classes, split, "
                         "unit, max_len, min_count)",
                  formals, 1, args))
      return;
    data.targetKind = TargetKind::ClassIndex;
    if (text)
      windowExpr = given(formals, "window");
    if (const Expr *classes = given(formals, "classes")) {
      if (auto files = stringList(*classes, "classes",
                                  "[\"female.txt\", \"male.txt\"]")) {
        data.classFiles = *files;
        if (files->size() < 2)
          errorAt(*classes, "'classes' lists one file per class: at least "
                            "two files");
      }
      if (given(formals, "file") || given(formals, "train"))
        errorAt(*classes, "'classes' gives the files: no file or train = "
                          "with it");
    }
    checkDataFiles(value, kind, args, index(formals, "file"),
                   index(formals, "train"), index(formals, "valid"),
                   index(formals, "split"));
    if (const Expr *unit = given(formals, "unit")) {
      if (auto name = string(*unit, "unit", "unit = \"char\"")) {
        if (*name == "char" || *name == "word")
          data.unit = *name;
        else
          errorAt(*unit, "unknown unit '" + *name +
                             "': expected \"char\" or \"word\"");
      }
    }
    if (const Expr *count = given(formals, "min_count"))
      if (auto v = integer(*count, "min_count", true))
        data.minCount = *v;
    if (const Expr *length = given(formals, "max_len"))
      if (auto v = integer(*length, "max_len", true))
        data.maxLength = *v;
  }
  if (kind == K::Text || kind == K::Series) {
    if (windowExpr) {
      if (auto v = integer(*windowExpr, "window", true))
        data.window = *v;
    } else {
      errorAt(value, Twine(dataSourceName(kind)) +
                         "(...) needs the length of its windows: window = 64");
    }
  }
}

} // namespace seqc::sema
