/* densito-problems-window.h
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "densito-diagnostics.h"

G_BEGIN_DECLS

#define DENSITO_TYPE_PROBLEMS_WINDOW (densito_problems_window_get_type ())

G_DECLARE_FINAL_TYPE (DensitoProblemsWindow, densito_problems_window, DENSITO, PROBLEMS_WINDOW, GtkWindow)

GtkWidget *densito_problems_window_new (GtkWindow          *parent,
                                        DensitoDiagnostics *diagnostics,
                                        const char         *folder);

G_END_DECLS
