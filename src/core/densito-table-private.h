/* densito-table-private.h
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The column store, shared with the query engine so that it can scan
 * plain arrays.
 */
#pragma once

#include <math.h>

#include "densito-table.h"

G_BEGIN_DECLS

typedef enum
{
  DENSITO_KIND_TEXT,
  DENSITO_KIND_ID,
  DENSITO_KIND_NUMBER,
  DENSITO_KIND_RANGE,
  DENSITO_KIND_MENOPAUSE,
  DENSITO_KIND_DATE,
  DENSITO_KIND_SEX,
  DENSITO_KIND_LABEL,
} DensitoKind;

#define INTERN_CACHE_SIZE 64

/* A NUMBER cell is one gint32: the exact decimal it was written as, the
 * integer mantissa m (< 2^27) shifted left by four bits above the count
 * of decimals d, negated for negative numbers; its value is m / 10^d,
 * computed as the parser does. Two codes are reserved: a missing value,
 * and a value that does not fit (kept in the column's wide table). */
#define DENSITO_NUM_MISSING G_MININT32
#define DENSITO_NUM_WIDE    (G_MININT32 + 1)

typedef struct
{
  double value;
  guint8 decimals;
} DensitoWideNumber;

extern const double densito_pow10[16];

typedef struct
{
  char         *name;
  DensitoField  field;
  DensitoKind   kind;
  char          decimal_sep;
  union {
    gint32       *num;    /* NUMBER: see DENSITO_NUM_MISSING */
    DensitoRange *range;  /* RANGE, MENOPAUSE */
    gint32       *date;   /* DATE */
    guint32      *idx;    /* TEXT, SEX, LABEL: index into values */
  } v;
  GHashTable   *wide;     /* NUMBER: row + 1 -> DensitoWideNumber */
  /* Raw text of cells whose value does not print back as written:
   * row -> string in the table's chunk. */
  GHashTable   *raw;
  /* Interned values of TEXT, SEX and LABEL columns; code[] holds the
   * parsed DensitoSex or DensitoClass of each value, 0xff when invalid. */
  GPtrArray    *values;
  GByteArray   *codes;
  GHashTable   *value_index;
  struct { const char *s; guint32 len; guint32 idx; } cache[INTERN_CACHE_SIZE];
  /* The arrays belong to another table (the second half of a parallel
   * load writes into the first's). */
  gboolean      borrowed;
} DensitoColumn;

struct _DensitoTable
{
  GObject             parent_instance;

  char               *path;
  char               *display_name;
  char                delimiter;
  guint               n_rows;
  guint               capacity;
  /* A view into another table's row arrays, which cannot grow. */
  gboolean            borrowed;
  gboolean            overflow;
  GPtrArray          *columns;            /* DensitoColumn */
  int                 field_column[DENSITO_N_FIELDS];
  GStringChunk       *strings;

  guint32            *lines;
  /* IDs: offsets into id_buf; numeric keys when every ID is a plain
   * integer, which makes lookups a binary search when they are sorted. */
  guint32            *id_off;
  char               *id_buf;
  gsize               id_buf_len;
  gsize               id_buf_cap;
  gint64             *id_num;
  gboolean            ids_numeric;
  gboolean            ids_sorted;
  GHashTable         *id_index;           /* lazy: id -> row + 1 */
  GMutex              id_index_lock;
  guint8             *duplicate;

  /* Derived, one byte each per row. These arrays are slices of one
   * block (the first is its start) made for byte_cap rows. */
  guint               byte_cap;
  guint8             *site_class[DENSITO_N_SITES];
  guint8             *klass;
  guint8             *deciding;
  guint8             *applicable;
  guint8             *reason;
  guint8             *agrees;
  guint8             *sex;
  guint8             *label;
  float              *bmi_computed;
  guint8             *bmi_mismatch;
};

/* The value of a NUMBER cell, NaN when missing, and its decimals. */
static inline double
densito_column_number (const DensitoColumn *col,
                       guint                row,
                       guint8              *decimals)
{
  gint32 code = col->v.num[row];

  if (G_LIKELY (code > DENSITO_NUM_WIDE))
    {
      guint32 a = code < 0 ? -(guint32)code : (guint32)code;
      double v = (double)(a >> 4) / densito_pow10[a & 15];

      if (decimals != NULL)
        *decimals = (guint8)(a & 15);
      return code < 0 ? -v : v;
    }
  if (code == DENSITO_NUM_WIDE)
    {
      const DensitoWideNumber *w = g_hash_table_lookup (col->wide, GUINT_TO_POINTER (row + 1));

      if (decimals != NULL)
        *decimals = w->decimals;
      return w->value;
    }
  if (decimals != NULL)
    *decimals = 0;
  return (double)NAN;
}

G_END_DECLS
