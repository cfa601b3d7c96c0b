/* densito-column-sorter.h
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "densito-patient-model.h"

G_BEGIN_DECLS

#define DENSITO_TYPE_COLUMN_SORTER (densito_column_sorter_get_type ())

G_DECLARE_FINAL_TYPE (DensitoColumnSorter, densito_column_sorter, DENSITO, COLUMN_SORTER, GtkSorter)

DensitoColumnSorter *densito_column_sorter_new       (DensitoSortKey   key);
DensitoSortKey       densito_column_sorter_get_key   (DensitoColumnSorter *self);
guint                densito_column_sorter_read_view (GtkSorter       *view_sorter,
                                                      DensitoSortTerm  terms[DENSITO_N_SORT_KEYS]);

G_END_DECLS
