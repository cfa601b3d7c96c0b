/* densito-values.h
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Parsers for single table cells. They never allocate and never touch
 * global state, so the table loader can call them for every cell.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  DENSITO_SEX_UNKNOWN = 0,
  DENSITO_SEX_FEMALE,
  DENSITO_SEX_MALE,
} DensitoSex;

/* The order is the order of severity; MISSING sorts first. */
typedef enum
{
  DENSITO_CLASS_MISSING = 0,
  DENSITO_CLASS_NORMAL,
  DENSITO_CLASS_OSTEOPENIA,
  DENSITO_CLASS_OSTEOPOROSIS,
} DensitoClass;

#define DENSITO_RANGE_MISSING G_MININT16

/* A closed range of years or ages, such as "1975-1979" or "40-45".
 * lo == DENSITO_RANGE_MISSING means the cell was empty or invalid.
 * lo == hi == 0 means "none" (MENOPAUSE_YEAR of 0, "na", ...). */
typedef struct
{
  gint16 lo;
  gint16 hi;
} DensitoRange;

/* Scan dates are stored as months since year 0: year * 12 + (month - 1). */
#define DENSITO_DATE_MISSING G_MININT32

static inline int
densito_date_year (gint32 d)
{
  return d / 12;
}

static inline int
densito_date_month (gint32 d)
{
  return d % 12 + 1;
}

gboolean    densito_parse_number    (const char   *s,
                                     gsize         len,
                                     char          decimal_sep,
                                     double       *value,
                                     guint8       *decimals,
                                     gboolean     *canonical);
gboolean    densito_parse_range     (const char   *s,
                                     gsize         len,
                                     DensitoRange *range,
                                     gboolean     *canonical);
gboolean    densito_parse_menopause (const char   *s,
                                     gsize         len,
                                     DensitoRange *range,
                                     gboolean     *canonical);
gboolean    densito_parse_date      (const char   *s,
                                     gsize         len,
                                     gint32       *date,
                                     gboolean     *canonical);
gboolean    densito_parse_sex       (const char   *s,
                                     gsize         len,
                                     DensitoSex   *sex,
                                     gboolean     *canonical);
gboolean    densito_parse_label     (const char   *s,
                                     gsize         len,
                                     DensitoClass *label);
gsize       densito_format_range    (char         *buf,
                                     gsize         size,
                                     DensitoRange  range);
gsize       densito_format_date     (char         *buf,
                                     gsize         size,
                                     gint32        date);
gsize       densito_format_number   (char         *buf,
                                     gsize         size,
                                     double        value,
                                     guint8        decimals,
                                     char          decimal_sep);
gboolean    densito_national_code_valid (const char *s);

G_END_DECLS
