/* densito-cell.h
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define DENSITO_TYPE_CELL (densito_cell_get_type ())

G_DECLARE_FINAL_TYPE (DensitoCell, densito_cell, DENSITO, CELL, GtkWidget)

GtkWidget  *densito_cell_new         (float        xalign,
                                      gboolean     numeric);
void        densito_cell_set_text    (DensitoCell *self,
                                      const char  *text);
const char *densito_cell_get_text    (DensitoCell *self);
void        densito_cell_set_style   (DensitoCell *self,
                                      const char  *css_class,
                                      gboolean     bold);
const char *densito_cell_get_style   (DensitoCell *self);
void        densito_cell_get_color   (DensitoCell *self,
                                      GdkRGBA     *color);

G_END_DECLS
