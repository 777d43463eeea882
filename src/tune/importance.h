#pragma once
// Which parameters mattered: a cheap fANOVA-style split of the variance of a GP
// fitted to the finished trials. For each parameter, its main effect is the GP
// mean averaged over random settings of all the others, as a function of that
// parameter alone; its importance is the variance of that main effect, and the
// importances are normalised to sum to 1 (Hutter et al. 2014 do the same with a
// random forest; the GP is already at hand here).
#include <map>
#include <string>

#include "tune/proposer.h"
#include "tune/search_space.h"

namespace hybridrec::tune {

// Empty when fewer than 3 observations exist (nothing meaningful to split).
std::map<std::string, double> parameter_importance(const SearchSpace& space, const std::vector<Observation>& observed,
                                                   std::uint64_t seed = 42);

}  // namespace hybridrec::tune
