// Text for language models: documents (a poem, a paragraph) as token sequences, read from
// fortune files (records between "%" lines, data/fortune.h) or plain text (paragraphs between
// blank lines), and split into train / dev / held-out by document, deterministically: a
// document's side depends only on its own text (a hash), so adding files never moves it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nnlab/text/corpus.h"

namespace nnlab::seq2seq {

// The token that ends a line inside a document (a poem's lines are part of its form).
inline constexpr const char* kNewline = "\n";

struct Document {
  std::string text;  // lines joined by '\n'
  Tokens tokens;     // each line tokenized, lines separated by kNewline
  std::string source;
  std::int64_t line = 0;  // 1-based line where it starts
};

// Fortune format when some line is exactly "%" (colour-highlighted lines — titles, authors —
// dropped), plain paragraphs otherwise. Throws core::FileError for an unreadable file, invalid
// UTF-8, or a file without any text ("<path>: no text").
std::vector<Document> read_documents(const std::string& path, Tokenization tokenization);

// Tokens of one text; its lines separated by kNewline.
Tokens tokenize_text(const std::string& text, Tokenization tokenization);

struct DocumentSplit {
  std::vector<Document> train, dev, heldout;
};

// heldout_percent of the documents (by a hash of the text) are held out for evaluation;
// dev_percent of the rest (by another hash) choose the learning-rate schedule and the best epoch.
DocumentSplit split_documents(const std::vector<Document>& documents, int heldout_percent = 10,
                              int dev_percent = 5);

}  // namespace nnlab::seq2seq
