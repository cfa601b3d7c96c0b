/* densito-table.h
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "densito-classify.h"
#include "densito-diagnostics.h"
#include "densito-error.h"

G_BEGIN_DECLS

/* The columns Densito understands. Every other column is OTHER: kept
 * verbatim, in file order, for display and export. */
typedef enum
{
  DENSITO_FIELD_OTHER = 0,
  DENSITO_FIELD_ID,
  DENSITO_FIELD_SPINE_DATE,
  DENSITO_FIELD_SPINE_BMD,
  DENSITO_FIELD_SPINE_T,
  DENSITO_FIELD_HIP_DATE,
  DENSITO_FIELD_HIP_BMD,
  DENSITO_FIELD_HIP_T,
  DENSITO_FIELD_NECK_DATE,
  DENSITO_FIELD_NECK_BMD,
  DENSITO_FIELD_NECK_T,
  DENSITO_FIELD_BIRTH,
  DENSITO_FIELD_SEX,
  DENSITO_FIELD_WEIGHT,
  DENSITO_FIELD_HEIGHT,
  DENSITO_FIELD_MENOPAUSE,
  DENSITO_FIELD_BMI,
  DENSITO_FIELD_AGE,
  DENSITO_FIELD_LABEL,
  DENSITO_N_FIELDS
} DensitoField;

#define DENSITO_CELL_BUF 64

#define DENSITO_TYPE_TABLE (densito_table_get_type ())

G_DECLARE_FINAL_TYPE (DensitoTable, densito_table, DENSITO, TABLE, GObject)

DensitoTable        *densito_table_load               (const char          *path,
                                                       DensitoDiagnostics  *diagnostics,
                                                       GCancellable        *cancellable,
                                                       DensitoProgressFunc  progress,
                                                       gpointer             progress_data,
                                                       GError             **error);
const char          *densito_table_get_path           (DensitoTable        *self);
char                 densito_table_get_delimiter      (DensitoTable        *self);
guint                densito_table_get_n_rows         (DensitoTable        *self);
guint                densito_table_get_n_columns      (DensitoTable        *self);
const char          *densito_table_get_column_name    (DensitoTable        *self,
                                                       guint                column);
DensitoField         densito_table_get_column_field   (DensitoTable        *self,
                                                       guint                column);
int                  densito_table_get_field_column   (DensitoTable        *self,
                                                       DensitoField         field);
const char          *densito_table_get_cell           (DensitoTable        *self,
                                                       guint                row,
                                                       guint                column,
                                                       char                 buf[DENSITO_CELL_BUF]);
guint32              densito_table_get_line           (DensitoTable        *self,
                                                       guint                row);
const char          *densito_table_get_id             (DensitoTable        *self,
                                                       guint                row);
gboolean             densito_table_is_duplicate       (DensitoTable        *self,
                                                       guint                row);
int                  densito_table_find_id            (DensitoTable        *self,
                                                       const char          *id,
                                                       gssize               len);
double               densito_table_get_number         (DensitoTable        *self,
                                                       guint                row,
                                                       DensitoField         field);
const char          *densito_table_get_unreadable     (DensitoTable        *self,
                                                       guint                row,
                                                       DensitoField         field);
DensitoRange         densito_table_get_range          (DensitoTable        *self,
                                                       guint                row,
                                                       DensitoField         field);
gint32               densito_table_get_date           (DensitoTable        *self,
                                                       guint                row,
                                                       DensitoField         field);
DensitoSex           densito_table_get_sex            (DensitoTable        *self,
                                                       guint                row);
DensitoClass         densito_table_get_label          (DensitoTable        *self,
                                                       guint                row);
gboolean             densito_table_has_label_column   (DensitoTable        *self);
DensitoClass         densito_table_get_site_class     (DensitoTable        *self,
                                                       guint                row,
                                                       DensitoSite          site);
DensitoClass         densito_table_get_class          (DensitoTable        *self,
                                                       guint                row,
                                                       DensitoSite         *deciding_site);
DensitoApplicability densito_table_get_applicability  (DensitoTable        *self,
                                                       guint                row,
                                                       DensitoReason       *reason);
DensitoAgreement     densito_table_get_agreement      (DensitoTable        *self,
                                                       guint                row);
double               densito_table_get_bmi_computed   (DensitoTable        *self,
                                                       guint                row);
gboolean             densito_table_get_bmi_mismatch   (DensitoTable        *self,
                                                       guint                row);

const char          *densito_field_canonical_name     (DensitoField         field);
DensitoField         densito_field_from_header        (const char          *name,
                                                       gsize                len);

G_END_DECLS

G_BEGIN_DECLS
gboolean             densito_table_probe              (const char          *path,
                                                       gboolean            *has_id_column,
                                                       guint64             *n_lines,
                                                       GError             **error);
G_END_DECLS
