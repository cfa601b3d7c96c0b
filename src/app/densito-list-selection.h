/* densito-list-selection.h
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define DENSITO_TYPE_LIST_SELECTION (densito_list_selection_get_type ())
G_DECLARE_FINAL_TYPE (DensitoListSelection, densito_list_selection, DENSITO, LIST_SELECTION, GObject)

DensitoListSelection *densito_list_selection_new               (GListModel           *model);
GListModel           *densito_list_selection_get_model         (DensitoListSelection *self);
guint                 densito_list_selection_get_selected      (DensitoListSelection *self);
void                  densito_list_selection_set_selected      (DensitoListSelection *self,
                                                                guint                 position);
gpointer              densito_list_selection_dup_selected_item (DensitoListSelection *self);
guint                 densito_list_selection_get_limit         (DensitoListSelection *self);
void                  densito_list_selection_set_limit         (DensitoListSelection *self,
                                                                guint                 limit);
void                  densito_list_selection_set_hold          (DensitoListSelection *self,
                                                                guint                 hold);
guint                 densito_list_selection_get_n_vacant      (DensitoListSelection *self);
guint                 densito_list_selection_drop_vacant       (DensitoListSelection *self,
                                                                guint                 max);

G_END_DECLS
