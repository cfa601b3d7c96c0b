/* densito-window.h
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "densito-application.h"
#include "densito-dataset.h"

G_BEGIN_DECLS

#define DENSITO_TYPE_WINDOW (densito_window_get_type ())

G_DECLARE_FINAL_TYPE (DensitoWindow, densito_window, DENSITO, WINDOW, GtkApplicationWindow)

DensitoWindow  *densito_window_new            (DensitoApplication *application);
void            densito_window_open_path      (DensitoWindow      *self,
                                               const char         *path);
void            densito_window_open_default   (DensitoWindow      *self);
DensitoDataset *densito_window_get_dataset    (DensitoWindow      *self);
guint           densito_window_get_n_visible  (DensitoWindow      *self);
const char     *densito_window_get_selected_id (DensitoWindow     *self);
const char     *densito_window_get_image_name (DensitoWindow      *self);
const char     *densito_window_get_query_text (DensitoWindow      *self);
gboolean        densito_window_is_loading     (DensitoWindow      *self);
gboolean        densito_window_is_saving      (DensitoWindow      *self);

G_END_DECLS
