#include "nnlab/text/text_corpus.h"

#include <sstream>

#include "nnlab/core/atomic_file.h"
#include "nnlab/core/error.h"
#include "nnlab/data/fortune.h"

namespace nnlab::seq2seq {

namespace {

std::uint64_t fnv1a(const std::string& text, std::uint64_t salt) {
  std::uint64_t h = 1469598103934665603ULL ^ salt;
  for (const char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  return h;
}

bool blank(const std::string& line) {
  return line.find_first_not_of(" \t\r") == std::string::npos;
}

Document make_document(const std::vector<std::string>& lines, const std::string& path,
                       std::int64_t line, Tokenization tokenization) {
  Document d;
  for (std::size_t i = 0; i < lines.size(); ++i) d.text += (i ? "\n" : "") + lines[i];
  d.tokens = tokenize_text(d.text, tokenization);
  d.source = path;
  d.line = line;
  return d;
}

}  // namespace

Tokens tokenize_text(const std::string& text, Tokenization tokenization) {
  Tokens tokens;
  std::istringstream in(text);
  std::string line;
  bool first = true;
  while (std::getline(in, line)) {
    if (!first) tokens.push_back(kNewline);
    first = false;
    const auto words = tokenize(line, tokenization);
    tokens.insert(tokens.end(), words.begin(), words.end());
  }
  return tokens;
}

std::vector<Document> read_documents(const std::string& path, Tokenization tokenization) {
  std::vector<Document> documents;
  const auto content = core::read_file(path);
  bool fortune = false;
  {
    std::istringstream in(content);
    std::string line;
    while (!fortune && std::getline(in, line)) fortune = line == "%" || line == "%\r";
  }
  if (fortune) {
    for (const auto& record : data::read_fortunes(path))
      documents.push_back(make_document(record.lines, path, record.line, tokenization));
  } else {
    // read_fortunes without separators: one record; paragraphs split here.
    std::istringstream in(content);
    std::string line;
    std::vector<std::string> lines;
    std::int64_t number = 0, start = 0;
    const auto close = [&] {
      if (!lines.empty()) documents.push_back(make_document(lines, path, start, tokenization));
      lines.clear();
    };
    while (std::getline(in, line)) {
      ++number;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (blank(line)) {
        close();
        continue;
      }
      if (lines.empty()) start = number;
      lines.push_back(data::strip_ansi_escapes(line));
    }
    close();
  }
  std::vector<Document> kept;
  for (auto& d : documents) {
    if (!d.tokens.empty()) kept.push_back(std::move(d));
  }
  if (kept.empty()) throw core::FileError(path, "no text");
  return kept;
}

DocumentSplit split_documents(const std::vector<Document>& documents, int heldout_percent,
                              int dev_percent) {
  if (heldout_percent < 0 || heldout_percent >= 100)
    throw core::OptionError("split_documents.heldout_percent",
                            "must be in [0, 100), got " + std::to_string(heldout_percent));
  if (dev_percent < 0 || dev_percent >= 100)
    throw core::OptionError("split_documents.dev_percent",
                            "must be in [0, 100), got " + std::to_string(dev_percent));
  DocumentSplit split;
  for (const auto& d : documents) {
    if (static_cast<int>(fnv1a(d.text, 0) % 100) < heldout_percent) {
      split.heldout.push_back(d);
    } else if (static_cast<int>(fnv1a(d.text, 0x9e3779b97f4a7c15ULL) % 100) < dev_percent) {
      split.dev.push_back(d);
    } else {
      split.train.push_back(d);
    }
  }
  return split;
}

}  // namespace nnlab::seq2seq
