// Loading the pipeline's models on a machine that may not have them yet.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "pipeline/pipeline.h"

namespace parley::cli {

// The Hub names among the pipeline's models that are neither local folders nor complete in the cache.
std::vector<std::string> missing_models(const pipeline::PipelineOptions& options);

// Before loading: when models are missing and the Hub cannot be reached, fails with ONE message that
// names every missing model and the three ways forward (local folders, `parley models download` on a
// connected machine and the cache copied here, HF_ENDPOINT for a mirror) instead of the first
// download's error. Reaching the Hub, it returns and loading downloads what is missing.
void check_models_reachable(const pipeline::PipelineOptions& options);

}  // namespace parley::cli
