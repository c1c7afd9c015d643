// The transfer (black-box) matrix: saved adversarial images scored on other models. Rows: the
// clean images, then each folder of adversarial images (named by the model, method and budget
// that made them, from their metrics.json); columns: each victim, and each victim behind each
// passive defense; cells: the victim's accuracy. With a process group each rank reads and scores
// its contiguous share of the images and the correct counts are summed: the matrix is exact.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nnlab/attack/input_defense.h"
#include "nnlab/models/classifier.h"

namespace nnlab::train {
class ProcessGroup;
}

namespace nnlab::attack {

struct TransferMatrixOptions {
  std::string clean;                // the clean folder in the task layout: images/, labels.csv
  std::vector<std::string> inputs;  // folders of adversarial PNGs (nnlab attack's outputs)
  std::vector<InputDefense> defenses;
  std::int64_t label_offset = 0;  // subtracted from labels.csv values
  std::int64_t batch_size = 64;
  // Victims of one architecture are told apart by these names (e.g. their files' stems), one per
  // victim in order; otherwise columns are named by architecture alone.
  std::vector<std::string> victim_files;
  // Several processes: each scores its share; every rank returns the whole matrix.
  train::ProcessGroup* group = nullptr;
};

struct TransferMatrix {
  std::vector<std::string> columns;           // "victim" and "victim [defense]"
  std::vector<std::string> rows;              // "clean", then one per input folder
  std::vector<std::vector<double>> accuracy;  // rows x columns, fractions of count
  std::int64_t count = 0;                     // images per row

  // "images \\ victim", then the columns: a table's header.
  std::vector<std::string> header() const;
  // The header, then each row's name and its fractions with 6 decimals.
  std::string to_csv() const;
};

// Throws core::OptionError("TransferMatrixOptions.<field>", ...) for missing options,
// std::invalid_argument for no victims, and core::FileError for a folder that is not one, an
// image missing or of the wrong size, a labels file or metrics.json that cannot be read.
TransferMatrix transfer_matrix(std::vector<models::Classifier>& victims,
                               const TransferMatrixOptions& options);

// A row's name from the folder's metrics.json ("vgg16 fgsm eps 8"); the folder's name without one.
std::string adversarial_folder_name(const std::string& folder);

}  // namespace nnlab::attack
