//===- TableData.cpp - csv and tsv data: rows of features and targets -----===//
#include "DataLoaders.h"
#include "DataTable.h"
#include "seqc/Runtime/Random.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"

#include <fmt/format.h>

#include <cmath>
#include <map>
#include <memory>

using namespace seqc;
using namespace seqc::rt;

static llvm::Error mapLabels(const TextTable &table, size_t column,
                             const LabelKeys &keys,
                             const llvm::StringMap<int64_t> &classIndex,
                             llvm::ArrayRef<std::string> classes,
                             bool fromCheckpoint, Dataset &data) {
  data.targets.reserve(data.rows);
  for (const Row &row : table.rows) {
    const Cell &cell = row.cells[column];
    if (cell.text.empty())
      return table.errorAt(
          row.line, cell.column,
          fmt::format("empty label in column {}", table.columnName(column)));
    auto it = classIndex.find(keys.key(cell.text));
    if (it == classIndex.end())
      it = classIndex.find(cell.text);
    if (it == classIndex.end()) {
      std::string known = llvm::join(classes.take_front(10), ", ");
      if (classes.size() > 10)
        known += ", ...";
      return table.errorAt(
          row.line, cell.column,
          fmt::format("label '{}' in column {} is out of range: it is not "
                      "one of the {} classes {} ({})",
                      cell.text.str(), table.columnName(column), classes.size(),
                      fromCheckpoint ? "the model was trained on"
                                     : "of the training data",
                      known));
    }
    data.targets.push_back(static_cast<double>(it->second));
  }
  return llvm::Error::success();
}

/// Keeps the rows of `data` at `rows`, in that order.
static Dataset selectRows(const Dataset &data, llvm::ArrayRef<int64_t> rows,
                          std::string name) {
  Dataset result;
  result.name = std::move(name);
  result.rows = static_cast<int64_t>(rows.size());
  result.numFeatures = data.numFeatures;
  result.targetKind = data.targetKind;
  result.targetWidth = data.targetWidth;
  for (int64_t row : rows) {
    result.features.insert(result.features.end(), data.featureRow(row),
                           data.featureRow(row) + data.numFeatures);
    result.targets.insert(result.targets.end(), data.targetRow(row),
                          data.targetRow(row) + data.targetWidth);
  }
  return result;
}

static void standardize(Dataset &data, const DataSchema &schema) {
  if (schema.mean.empty())
    return;
  for (int64_t row = 0; row < data.rows; ++row)
    for (int64_t column = 0; column < data.numFeatures; ++column) {
      double &value = data.features[row * data.numFeatures + column];
      value = (value - schema.mean[column]) / schema.stddev[column];
    }
}

/// Mean and (population) standard deviation of each feature; a constant
/// feature gets a deviation of 1 so that it maps to 0.
static void computeStatistics(const Dataset &data, DataSchema &schema) {
  int64_t count = data.numFeatures;
  schema.mean.assign(count, 0.0);
  schema.stddev.assign(count, 0.0);
  for (int64_t column = 0; column < count; ++column) {
    double sum = 0.0;
    for (int64_t row = 0; row < data.rows; ++row)
      sum += data.features[row * count + column];
    double mean = sum / static_cast<double>(data.rows);
    double squares = 0.0;
    for (int64_t row = 0; row < data.rows; ++row) {
      double delta = data.features[row * count + column] - mean;
      squares += delta * delta;
    }
    double stddev = std::sqrt(squares / static_cast<double>(data.rows));
    schema.mean[column] = mean;
    schema.stddev[column] =
        stddev > 0.0 && std::isfinite(stddev) ? stddev : 1.0;
  }
}

static llvm::Expected<LoadedData> loadTables(const DataSpec &spec,
                                             TextTable &first,
                                             TextTable *second,
                                             const DataOptions &options) {
  LoadedData loaded;
  DataSchema &schema = loaded.schema;
  schema.targetKind = spec.targetKind;
  schema.targets = spec.targets;

  // Features: as listed, else the checkpoint's, else every other column.
  if (!spec.features.empty()) {
    schema.features = spec.features;
    if (options.schema && options.schema->features != spec.features)
      return errorAtLoc(
          spec.loc,
          fmt::format("the model was trained on the features {}, but the "
                      "train block lists {}",
                      jsonStrings(options.schema->features),
                      jsonStrings(spec.features)));
  } else if (options.schema) {
    schema.features = options.schema->features;
  } else {
    schema.features = nonTargetColumns(first, spec.targets);
  }
  if (schema.features.empty())
    return noFeatureColumns(first);
  if (options.schema && (options.schema->targetKind != spec.targetKind ||
                         options.schema->targets != spec.targets))
    return errorAtLoc(
        spec.loc, fmt::format("the model was trained on the {} {}, but "
                              "the train block names the {} {}",
                              targetKindName(options.schema->targetKind).str(),
                              jsonStrings(options.schema->targets),
                              targetKindName(spec.targetKind).str(),
                              jsonStrings(spec.targets)));

  std::vector<TextTable *> tables{&first};
  if (second)
    tables.push_back(second);
  std::vector<ColumnMap> columns;
  std::vector<Dataset> parts(tables.size());
  for (auto [index, table] : llvm::enumerate(tables)) {
    auto map = mapColumns(*table, schema.features, schema.targets);
    if (!map)
      return map.takeError();
    columns.push_back(*map);
    if (llvm::Error error = readRows(*table, *map, spec.targetKind,
                                     options.float32, parts[index]))
      return std::move(error);
    parts[index].targetWidth = schema.targetWidth();
    parts[index].name = table->fileName;
  }

  if (spec.targetKind == TargetKind::ClassIndex) {
    LabelKeys keys;
    llvm::StringMap<int64_t> classIndex;
    if (options.schema) {
      schema.classes = options.schema->classes;
      for (const std::string &name : schema.classes)
        keys.numeric &= isNumericLabel(name);
    } else {
      // Distinct labels of the training file (a validation file's label
      // that training never saw is an error in mapLabels): numeric order
      // when all are numbers.
      size_t labels = columns[0].targets[0];
      for (const Row &row : first.rows)
        keys.numeric &= isNumericLabel(row.cells[labels].text);
      std::map<double, std::string> numeric;
      std::map<std::string, int, std::less<>> textual;
      for (const Row &row : first.rows) {
        llvm::StringRef text = row.cells[labels].text;
        if (text.empty())
          continue; // reported by mapLabels
        if (keys.numeric)
          numeric.emplace(*parseNumber(text), keys.key(text));
        else
          textual.emplace(text.str(), 0);
      }
      for (const auto &entry : numeric)
        schema.classes.push_back(entry.second);
      for (const auto &entry : textual)
        schema.classes.push_back(entry.first);
    }
    for (auto [index, name] : llvm::enumerate(schema.classes))
      classIndex[name] = static_cast<int64_t>(index);
    for (auto [index, table] : llvm::enumerate(tables))
      if (llvm::Error error = mapLabels(
              *table, columns[index].targets[0], keys, classIndex,
              schema.classes, options.schema != nullptr, parts[index]))
        return std::move(error);
    if (schema.classes.size() < 2 && !options.schema)
      return errorAtLoc(
          spec.loc,
          fmt::format("the label column '{}' has {} distinct value{}; "
                      "classification needs at least 2",
                      spec.targets[0], schema.classes.size(),
                      schema.classes.size() == 1 ? "" : "s"));
  }

  if (second) {
    loaded.train = std::move(parts[0]);
    loaded.valid = std::move(parts[1]);
  } else {
    // One file: a seeded shuffle, then the first `split` of it trains.
    Dataset &all = parts[0];
    double split = options.schema ? options.schema->split : spec.split;
    if (!(split > 0.0 && split <= 1.0))
      return errorAtLoc(spec.loc,
                        fmt::format("split must be in (0, 1], got {}", split));
    int64_t trainRows = static_cast<int64_t>(
        std::floor(split * static_cast<double>(all.rows) + 1e-9));
    if (trainRows < 1)
      return errorAtLoc(spec.loc,
                        fmt::format("split {} of {} rows leaves no training "
                                    "rows",
                                    split, all.rows));
    std::vector<int64_t> order(all.rows);
    for (int64_t row = 0; row < all.rows; ++row)
      order[row] = row;
    Rng rng = Rng::forStream(options.seed, "data.split");
    for (int64_t i = all.rows - 1; i > 0; --i)
      std::swap(order[i], order[rng.below(static_cast<uint64_t>(i) + 1)]);
    std::vector<int64_t> trainOrder(order.begin(), order.begin() + trainRows);
    std::vector<int64_t> validOrder(order.begin() + trainRows, order.end());
    llvm::sort(trainOrder);
    llvm::sort(validOrder);
    loaded.train = selectRows(all, trainOrder, all.name + " (training split)");
    loaded.valid =
        selectRows(all, validOrder, all.name + " (validation split)");
    schema.split = split;
  }

  if (options.schema) {
    schema.mean = options.schema->mean;
    schema.stddev = options.schema->stddev;
  } else if (spec.standardize) {
    computeStatistics(loaded.train, schema);
  }
  standardize(loaded.train, schema);
  standardize(loaded.valid, schema);
  return loaded;
}

static llvm::Expected<std::unique_ptr<TextTable>>
readTable(const DataSpec &spec, const std::string &path,
          const DataOptions &options) {
  std::string resolved;
  auto buffer = readDataFile(spec, path, options, resolved);
  if (!buffer)
    return buffer.takeError();
  auto table = std::make_unique<TextTable>();
  table->fileName = resolved;
  table->buffer = std::move(*buffer);
  return table;
}

llvm::Expected<LoadedData>
seqc::rt::parseTableData(const DataSpec &spec, llvm::StringRef trainText,
                         llvm::StringRef trainName, llvm::StringRef validText,
                         llvm::StringRef validName,
                         const DataOptions &options) {
  auto first = tableFromText(trainText, trainName);
  if (llvm::Error error = parseTable(*first, spec.separator))
    return std::move(error);
  std::unique_ptr<TextTable> second;
  if (!validName.empty()) {
    second = tableFromText(validText, validName);
    if (llvm::Error error = parseTable(*second, spec.separator))
      return std::move(error);
  }
  return loadTables(spec, *first, second.get(), options);
}

llvm::Expected<LoadedData> seqc::rt::loadTableData(const DataSpec &spec,
                                                   const DataOptions &options) {
  if (spec.targetKind == TargetKind::None)
    return errorAtLoc(spec.loc, "the data names no target: add label = "
                                "\"col\", target = \"col\" or labels = [...]");
  bool twoFiles = !spec.trainPath.empty();
  if (!twoFiles && spec.path.empty())
    return errorAtLoc(spec.loc, "the data names no file");
  auto first = readTable(spec, twoFiles ? spec.trainPath : spec.path, options);
  if (!first)
    return first.takeError();
  if (llvm::Error error = parseTable(**first, spec.separator))
    return std::move(error);
  std::unique_ptr<TextTable> second;
  if (twoFiles && !spec.validPath.empty()) {
    auto table = readTable(spec, spec.validPath, options);
    if (!table)
      return table.takeError();
    second = std::move(*table);
    if (llvm::Error error = parseTable(*second, spec.separator))
      return std::move(error);
  }
  if (twoFiles && !second) {
    // A training file alone: no validation split.
    DataSpec all = spec;
    all.split = 1.0;
    return loadTables(all, **first, nullptr, options);
  }
  return loadTables(spec, **first, second.get(), options);
}
