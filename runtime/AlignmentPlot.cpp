//===- AlignmentPlot.cpp - Attention weights drawn as a heatmap -----------===//
#include "seqc/Runtime/AlignmentPlot.h"

#include "seqc/Runtime/DurableFile.h"
#include "seqc/Runtime/Error.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

using namespace seqc;
using namespace seqc::rt;

namespace {

constexpr int kCell = 24;      ///< Side of one square, in pixels.
constexpr int kLabelWidth = 7; ///< Pixels per label character (estimate).
constexpr int kMargin = 8;

/// A token as SVG character data: the five XML specials escaped, control
/// characters (which XML 1.0 forbids) shown as U+FFFD, and a token of
/// spaces (a character-level model's space) as U+2423 OPEN BOX each, so
/// that its row and column are labelled.
std::string xmlText(llvm::StringRef text) {
  std::string result;
  if (!text.empty() && text.find_first_not_of(' ') == llvm::StringRef::npos) {
    for (size_t i = 0; i < text.size(); ++i)
      result += "\xE2\x90\xA3";
    return result;
  }
  for (unsigned char c : text) {
    switch (c) {
    case '&':
      result += "&amp;";
      break;
    case '<':
      result += "&lt;";
      break;
    case '>':
      result += "&gt;";
      break;
    case '"':
      result += "&quot;";
      break;
    case '\'':
      result += "&apos;";
      break;
    default:
      if (c < 0x20 && c != '\t')
        result += "\xEF\xBF\xBD";
      else
        result += static_cast<char>(c);
    }
  }
  return result;
}

int widestLabel(llvm::ArrayRef<std::string> labels) {
  size_t widest = 1;
  for (const std::string &label : labels)
    widest = std::max(widest, label.size());
  return static_cast<int>(std::min<size_t>(widest, 40)) * kLabelWidth;
}

} // namespace

llvm::Expected<std::string>
seqc::rt::alignmentSvg(llvm::ArrayRef<std::string> sources,
                       llvm::ArrayRef<std::string> outputs,
                       llvm::ArrayRef<float> weights) {
  if (weights.size() != sources.size() * outputs.size())
    return makeError("an alignment of {0} output and {1} source tokens needs "
                     "{2} weights, got {3}",
                     outputs.size(), sources.size(),
                     sources.size() * outputs.size(), weights.size());
  int left = kMargin + widestLabel(outputs) + kMargin;
  int top = kMargin + widestLabel(sources) + kMargin;
  int width = left + static_cast<int>(sources.size()) * kCell + kMargin;
  int height = top + static_cast<int>(outputs.size()) * kCell + kMargin;

  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" "
      "height=\"{1}\" viewBox=\"0 0 {0} {1}\" font-family=\"monospace\" "
      "font-size=\"12\">\n"
      "<rect width=\"{0}\" height=\"{1}\" fill=\"white\"/>\n",
      width, height);
  // Source tokens along the top, written upwards from their column.
  for (size_t j = 0; j < sources.size(); ++j) {
    int x = left + static_cast<int>(j) * kCell + kCell / 2 + 4;
    svg += fmt::format("<text class=\"source\" transform=\"translate({0},{1}) "
                       "rotate(-90)\">{2}</text>\n",
                       x, top - kMargin, xmlText(sources[j]));
  }
  for (size_t i = 0; i < outputs.size(); ++i) {
    int y = top + static_cast<int>(i) * kCell + kCell / 2 + 4;
    svg += fmt::format("<text class=\"output\" x=\"{0}\" y=\"{1}\" "
                       "text-anchor=\"end\">{2}</text>\n",
                       left - kMargin, y, xmlText(outputs[i]));
  }
  for (size_t i = 0; i < outputs.size(); ++i)
    for (size_t j = 0; j < sources.size(); ++j) {
      float weight = weights[i * sources.size() + j];
      std::string fill = "rgb(255,0,0)";
      if (!std::isnan(weight)) {
        int level = static_cast<int>(
            std::lround(255.0 * std::clamp(double(weight), 0.0, 1.0)));
        fill = fmt::format("rgb({0},{0},{0})", level);
      }
      svg +=
          fmt::format("<rect class=\"weight\" x=\"{0}\" y=\"{1}\" "
                      "width=\"{2}\" height=\"{2}\" fill=\"{3}\"><title>"
                      "{4:.3f}</title></rect>\n",
                      left + static_cast<int>(j) * kCell,
                      top + static_cast<int>(i) * kCell, kCell, fill, weight);
    }
  svg += "</svg>\n";
  return svg;
}

llvm::Error seqc::rt::writeAlignmentSvg(llvm::StringRef path,
                                        llvm::ArrayRef<std::string> sources,
                                        llvm::ArrayRef<std::string> outputs,
                                        llvm::ArrayRef<float> weights) {
  llvm::Expected<std::string> svg = alignmentSvg(sources, outputs, weights);
  if (!svg)
    return svg.takeError();
  return writeFileDurably(path, *svg);
}
