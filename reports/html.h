// What every HTML page of effbench shares: escaping, the page head with its
// inline style sheet (no external fetch), the colour-blind-safe palette and
// the filter form of the live pages.
#pragma once

#include <string>

#include "reports/machine_comparison.h"

namespace effbench::reports {

// `s` as HTML text or attribute value: & < > " ' escaped.
std::string Html(const std::string& s);

// Okabe & Ito's palette: told apart by readers with any common colour vision
// deficiency. Past eight, colours cycle (and markers change shape).
const char* Colour(size_t i);

// "<!DOCTYPE html>…<body>" with the inline style sheet; `title` escaped.
std::string PageHead(const std::string& title);

// A GET form to `action`: changing a filter and pressing Show reloads the
// page with the filters in the URL, so a filtered view is a link to share.
std::string FilterForm(const PageFilters& filters, const std::string& action);

}  // namespace effbench::reports
