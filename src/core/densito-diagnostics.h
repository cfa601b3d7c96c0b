/* densito-diagnostics.h
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

typedef enum
{
  DENSITO_DIAG_BAD_NUMBER,
  DENSITO_DIAG_IMPLAUSIBLE,
  DENSITO_DIAG_BAD_RANGE,
  DENSITO_DIAG_BAD_DATE,
  DENSITO_DIAG_BAD_SEX,
  DENSITO_DIAG_BAD_LABEL,
  DENSITO_DIAG_BAD_MENOPAUSE,
  DENSITO_DIAG_INVALID_UTF8,
  DENSITO_DIAG_TOO_FEW_FIELDS,
  DENSITO_DIAG_TOO_MANY_FIELDS,
  DENSITO_DIAG_EMPTY_ID,
  DENSITO_DIAG_DUPLICATE_ID,
  DENSITO_DIAG_DUPLICATE_COLUMN,
  DENSITO_DIAG_EMPTY_COLUMN_NAME,
  DENSITO_DIAG_UNTERMINATED_QUOTE,
  DENSITO_DIAG_BMI_MISMATCH,
  DENSITO_DIAG_IMAGE_UNREADABLE,
  DENSITO_DIAG_IMAGE_UNLINKED,
  DENSITO_DIAG_PERSONAL_ID,
  DENSITO_DIAG_IO,
} DensitoDiagCode;

typedef struct
{
  DensitoDiagCode code;
  guint32         row;     /* 1-based line in @file, 0 when not about a row */
  const char     *file;
  const char     *column;  /* NULL when not about a column */
  const char     *value;   /* the raw value, shortened when very long; may be NULL */
  const char     *detail;  /* extra text for the message; may be NULL */
} DensitoDiagnostic;

#define DENSITO_TYPE_DIAGNOSTICS (densito_diagnostics_get_type ())

G_DECLARE_FINAL_TYPE (DensitoDiagnostics, densito_diagnostics, DENSITO, DIAGNOSTICS, GObject)

DensitoDiagnostics      *densito_diagnostics_new        (void);
void                     densito_diagnostics_add        (DensitoDiagnostics *self,
                                                         DensitoDiagCode     code,
                                                         const char         *file,
                                                         guint32             row,
                                                         const char         *column,
                                                         const char         *value,
                                                         gssize              value_len,
                                                         const char         *detail);
void                     densito_diagnostics_append     (DensitoDiagnostics *self,
                                                         DensitoDiagnostics *other,
                                                         guint32             row_offset);
guint                    densito_diagnostics_get_n      (DensitoDiagnostics *self);
const DensitoDiagnostic *densito_diagnostics_get        (DensitoDiagnostics *self,
                                                         guint               i);
guint                    densito_diagnostics_count_code (DensitoDiagnostics *self,
                                                         DensitoDiagCode     code);
char                    *densito_diagnostic_dup_message (const DensitoDiagnostic *diag);
char                    *densito_diagnostic_dup_line    (const DensitoDiagnostic *diag);
const char              *densito_diag_code_to_string    (DensitoDiagCode     code);

G_END_DECLS
