/* densito-export-dialog.h
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "densito-dataset.h"

G_BEGIN_DECLS

#define DENSITO_TYPE_EXPORT_DIALOG (densito_export_dialog_get_type ())

G_DECLARE_FINAL_TYPE (DensitoExportDialog, densito_export_dialog, DENSITO, EXPORT_DIALOG, GtkWindow)

typedef enum
{
  DENSITO_EXPORT_DIALOG_IDLE,
  DENSITO_EXPORT_DIALOG_RUNNING,
  DENSITO_EXPORT_DIALOG_DONE,
  DENSITO_EXPORT_DIALOG_FAILED,     /* an error, or cancelled: the options are open again */
} DensitoExportDialogState;

GtkWidget                *densito_export_dialog_new              (GtkWindow           *parent,
                                                                  DensitoDataset      *dataset,
                                                                  const char          *query_text);
const char               *densito_export_dialog_get_target       (DensitoExportDialog *self);
void                      densito_export_dialog_set_target       (DensitoExportDialog *self,
                                                                  const char          *path);
DensitoExportDialogState  densito_export_dialog_get_state        (DensitoExportDialog *self);
gboolean                  densito_export_dialog_is_summary_ready (DensitoExportDialog *self);
const char               *densito_export_dialog_get_summary_text (DensitoExportDialog *self);
const char               *densito_export_dialog_get_message      (DensitoExportDialog *self);

G_END_DECLS
