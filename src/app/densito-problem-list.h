/* densito-problem-list.h
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "densito-diagnostics.h"

G_BEGIN_DECLS

#define DENSITO_TYPE_PROBLEM (densito_problem_get_type ())

G_DECLARE_FINAL_TYPE (DensitoProblem, densito_problem, DENSITO, PROBLEM, GObject)

const DensitoDiagnostic *densito_problem_get_diagnostic (DensitoProblem *self);

#define DENSITO_TYPE_PROBLEM_LIST (densito_problem_list_get_type ())

G_DECLARE_FINAL_TYPE (DensitoProblemList, densito_problem_list, DENSITO, PROBLEM_LIST, GObject)

DensitoProblemList *densito_problem_list_new (DensitoDiagnostics *diagnostics);

G_END_DECLS
