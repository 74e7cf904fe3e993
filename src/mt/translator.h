// A translation model folder ready to run: tokenizer, network and generation defaults, and
// generate() with transformers 4.27.1's semantics (the generic searches of generation/).
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "core/run_control.h"
#include "mt/config.h"
#include "mt/model.h"
#include "mt/tokenizer.h"

namespace parley::mt {

// generate()'s keyword arguments; an unset one takes generation_config.json's value.
struct GenerateOptions {
  std::optional<int> num_beams;
  std::optional<int> max_new_tokens;  // wins over max_length, as in the reference
  std::optional<int> max_length;
  std::optional<int> forced_bos_token_id;  // the target language token of NLLB / M2M100
  std::optional<int> no_repeat_ngram_size;
  std::optional<float> repetition_penalty;
  std::optional<float> length_penalty;
  std::optional<bool> early_stopping;
  const RunControl* control = nullptr;  // checked every decoder step (generation::SearchOptions)
};

class Translator {
 public:
  // Loads everything from a model folder; Error(BadModel) names what is wrong. The tokenizer's ids
  // must fit the model's vocabulary.
  static Translator load(const std::filesystem::path& folder);

  const MtTokenizer& tokenizer() const { return tokenizer_; }
  const MtModel& model() const { return *model_; }
  const std::shared_ptr<const MtModel>& shared_model() const { return model_; }
  const GenerationDefaults& defaults() const { return defaults_; }

  // The whole generated sequence (decoder start, forced language token and eos included) for the
  // encoder input `input_ids`.
  std::vector<int> generate(std::span<const int> input_ids, const GenerateOptions& options) const;
  // Several encoder inputs translated as one batch (one pass through the weights per decoder step for
  // all of them): each gets exactly the sequence generate() gives it alone.
  std::vector<std::vector<int>> generate_batch(std::span<const std::vector<int>> inputs,
                                               const GenerateOptions& options) const;
  // Whether a sequence generate() returned was stopped by the model's positions (it fills them and
  // does not end with </s>), not by the model or the caller's limit: the translation may be cut short.
  bool hit_positions(std::span<const int> sequence) const;

 private:
  MtTokenizer tokenizer_;
  std::shared_ptr<const MtModel> model_;
  GenerationDefaults defaults_;
};

}  // namespace parley::mt
