/* densito-table.c
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The patient table, stored by column. libcsv does the CSV grammar; each
 * field goes straight into a typed array, so there is no per-row object
 * and no per-cell allocation. A cell whose typed value does not print back
 * exactly as it was written keeps its raw text beside the column, so the
 * table can always give back what the file said.
 */
#include "config.h"

#include <csv.h>
#include <errno.h>
#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

#include "densito-table-private.h"

#define BLOCK_SIZE (1 << 20)

struct _DensitoTableClass
{
  GObjectClass parent_class;
};

G_DEFINE_FINAL_TYPE (DensitoTable, densito_table, G_TYPE_OBJECT)

static const struct {
  const char   *name;
  DensitoField  field;
} header_names[] = {
  { "IDENTIFIER1", DENSITO_FIELD_ID },
  { "IDENTIFIER_1", DENSITO_FIELD_ID },
  { "ID", DENSITO_FIELD_ID },
  { "SPINE_SCANDATE", DENSITO_FIELD_SPINE_DATE },
  { "SPINE_BMD", DENSITO_FIELD_SPINE_BMD },
  { "SPINE_TSCORE", DENSITO_FIELD_SPINE_T },
  { "HIP_SCANDATE", DENSITO_FIELD_HIP_DATE },
  { "HIP_BMD", DENSITO_FIELD_HIP_BMD },
  { "HIP_TSCORE", DENSITO_FIELD_HIP_T },
  { "HIPNECK_SCANDATE", DENSITO_FIELD_NECK_DATE },
  { "HIPNECK_BMD", DENSITO_FIELD_NECK_BMD },
  { "HIPNECK_TSCORE", DENSITO_FIELD_NECK_T },
  { "BIRTHDATE", DENSITO_FIELD_BIRTH },
  { "SEX", DENSITO_FIELD_SEX },
  { "GENDER", DENSITO_FIELD_SEX },
  { "WEIGHT", DENSITO_FIELD_WEIGHT },
  { "HEIGHT", DENSITO_FIELD_HEIGHT },
  { "MENOPAUSE_YEAR", DENSITO_FIELD_MENOPAUSE },
  { "BMI", DENSITO_FIELD_BMI },
  { "ADJUSTED_AGE", DENSITO_FIELD_AGE },
  { "AGE_CATEGORY", DENSITO_FIELD_AGE },
  { "AGE", DENSITO_FIELD_AGE },
  { "LABEL", DENSITO_FIELD_LABEL },
  { "CLASS", DENSITO_FIELD_LABEL },
  { "DIAGNOSIS", DENSITO_FIELD_LABEL },
};

static const DensitoKind field_kinds[DENSITO_N_FIELDS] = {
  [DENSITO_FIELD_OTHER] = DENSITO_KIND_TEXT,
  [DENSITO_FIELD_ID] = DENSITO_KIND_ID,
  [DENSITO_FIELD_SPINE_DATE] = DENSITO_KIND_DATE,
  [DENSITO_FIELD_SPINE_BMD] = DENSITO_KIND_NUMBER,
  [DENSITO_FIELD_SPINE_T] = DENSITO_KIND_NUMBER,
  [DENSITO_FIELD_HIP_DATE] = DENSITO_KIND_DATE,
  [DENSITO_FIELD_HIP_BMD] = DENSITO_KIND_NUMBER,
  [DENSITO_FIELD_HIP_T] = DENSITO_KIND_NUMBER,
  [DENSITO_FIELD_NECK_DATE] = DENSITO_KIND_DATE,
  [DENSITO_FIELD_NECK_BMD] = DENSITO_KIND_NUMBER,
  [DENSITO_FIELD_NECK_T] = DENSITO_KIND_NUMBER,
  [DENSITO_FIELD_BIRTH] = DENSITO_KIND_RANGE,
  [DENSITO_FIELD_SEX] = DENSITO_KIND_SEX,
  [DENSITO_FIELD_WEIGHT] = DENSITO_KIND_NUMBER,
  [DENSITO_FIELD_HEIGHT] = DENSITO_KIND_NUMBER,
  [DENSITO_FIELD_MENOPAUSE] = DENSITO_KIND_MENOPAUSE,
  [DENSITO_FIELD_BMI] = DENSITO_KIND_NUMBER,
  [DENSITO_FIELD_AGE] = DENSITO_KIND_RANGE,
  [DENSITO_FIELD_LABEL] = DENSITO_KIND_LABEL,
};

/* Plausible limits; a value outside is kept but reported. */
static const struct {
  DensitoField field;
  double       lo;
  double       hi;
} plausible[] = {
  { DENSITO_FIELD_SPINE_BMD, 0.05, 3.0 },
  { DENSITO_FIELD_HIP_BMD, 0.05, 3.0 },
  { DENSITO_FIELD_NECK_BMD, 0.05, 3.0 },
  { DENSITO_FIELD_SPINE_T, -10.0, 10.0 },
  { DENSITO_FIELD_HIP_T, -10.0, 10.0 },
  { DENSITO_FIELD_NECK_T, -10.0, 10.0 },
  { DENSITO_FIELD_WEIGHT, 20.0, 300.0 },
  { DENSITO_FIELD_HEIGHT, 80.0, 230.0 },
  { DENSITO_FIELD_BMI, 8.0, 80.0 },
};

static const DensitoField site_t_fields[DENSITO_N_SITES] = {
  DENSITO_FIELD_SPINE_T, DENSITO_FIELD_HIP_T, DENSITO_FIELD_NECK_T,
};

#define CODE_INVALID 0xff

typedef struct
{
  DensitoTable       *table;
  DensitoDiagnostics *diags;
  const char         *file;
  struct csv_parser   parser;
  GPtrArray          *header;
  gboolean            in_header;
  guint               field;
  guint32             line;
  guint32             record_line;
  gboolean            row_nonempty;
  gboolean            check_utf8;
  gboolean            cr_only;
  gboolean            have_plausible[DENSITO_N_FIELDS];
  double              plausible_lo[DENSITO_N_FIELDS];
  double              plausible_hi[DENSITO_N_FIELDS];
} Loader;

/* Helpers */

static void
column_free (gpointer data)
{
  DensitoColumn *col = data;

  g_free (col->name);
  g_free (col->v.num);
  g_free (col->dec);
  g_clear_pointer (&col->raw, g_hash_table_unref);
  g_clear_pointer (&col->values, g_ptr_array_unref);
  g_clear_pointer (&col->codes, g_byte_array_unref);
  g_clear_pointer (&col->value_index, g_hash_table_unref);
  g_free (col);
}

static gsize
kind_elem_size (DensitoKind kind)
{
  switch (kind)
    {
    case DENSITO_KIND_NUMBER: return sizeof (double);
    case DENSITO_KIND_RANGE:
    case DENSITO_KIND_MENOPAUSE: return sizeof (DensitoRange);
    case DENSITO_KIND_DATE: return sizeof (gint32);
    case DENSITO_KIND_TEXT:
    case DENSITO_KIND_SEX:
    case DENSITO_KIND_LABEL: return sizeof (guint32);
    case DENSITO_KIND_ID:
    default: return 0;
    }
}

static gboolean
kind_is_interned (DensitoKind kind)
{
  return kind == DENSITO_KIND_TEXT || kind == DENSITO_KIND_SEX || kind == DENSITO_KIND_LABEL;
}

static guint32 intern_value (DensitoTable  *self,
                             DensitoColumn *col,
                             const char    *s,
                             gsize          len,
                             guint         *n_newlines);

static DensitoColumn *
column_new (DensitoTable *self,
            const char   *name,
            DensitoField  field)
{
  DensitoColumn *col = g_new0 (DensitoColumn, 1);
  gsize elem;

  col->name = g_strdup (name);
  col->field = field;
  col->kind = field_kinds[field];
  col->decimal_sep = self->delimiter == ';' ? '\0' : '.';
  col->raw = g_hash_table_new (NULL, NULL);

  elem = kind_elem_size (col->kind);
  if (elem > 0 && self->capacity > 0)
    col->v.num = g_malloc (elem * self->capacity);
  if (col->kind == DENSITO_KIND_NUMBER && self->capacity > 0)
    col->dec = g_malloc (self->capacity);
  if (kind_is_interned (col->kind))
    {
      col->values = g_ptr_array_new ();
      col->codes = g_byte_array_new ();
      col->value_index = g_hash_table_new (g_str_hash, g_str_equal);
      /* Value 0 is always the empty string. */
      intern_value (self, col, "", 0, NULL);
    }
  return col;
}

static void
ensure_capacity (DensitoTable *self,
                 guint         needed)
{
  guint cap;

  if (needed <= self->capacity)
    return;

  cap = MAX (needed, self->capacity + self->capacity / 2 + 64);

  for (guint c = 0; c < self->columns->len; c++)
    {
      DensitoColumn *col = g_ptr_array_index (self->columns, c);
      gsize elem = kind_elem_size (col->kind);

      if (elem > 0)
        col->v.num = g_realloc (col->v.num, elem * cap);
      if (col->kind == DENSITO_KIND_NUMBER)
        col->dec = g_realloc (col->dec, cap);
    }
  self->lines = g_renew (guint32, self->lines, cap);
  self->id_off = g_renew (guint32, self->id_off, cap);
  self->id_num = g_renew (gint64, self->id_num, cap);
  self->capacity = cap;
}

static void
shrink_to_fit (DensitoTable *self)
{
  guint cap = MAX (self->n_rows, 1);

  if (cap == self->capacity)
    return;

  for (guint c = 0; c < self->columns->len; c++)
    {
      DensitoColumn *col = g_ptr_array_index (self->columns, c);
      gsize elem = kind_elem_size (col->kind);

      if (elem > 0)
        col->v.num = g_realloc (col->v.num, elem * cap);
      if (col->kind == DENSITO_KIND_NUMBER)
        col->dec = g_realloc (col->dec, cap);
    }
  self->lines = g_renew (guint32, self->lines, cap);
  self->id_off = g_renew (guint32, self->id_off, cap);
  self->id_num = g_renew (gint64, self->id_num, cap);
  self->capacity = cap;
}

static guint
count_newlines (const char *s,
                gsize       len,
                char        nl)
{
  guint n = 0;
  const char *end = s + len;

  while (s < end && (s = memchr (s, nl, (gsize)(end - s))) != NULL)
    {
      n++;
      s++;
    }
  return n;
}

static guint32
fnv_hash (const char *s,
          gsize       len)
{
  guint32 h = 2166136261u;

  for (gsize i = 0; i < len; i++)
    h = (h ^ (guchar)s[i]) * 16777619u;
  return h ^ (guint32)len;
}

/* Interns a value of a TEXT, SEX or LABEL column. A small direct-mapped
 * cache in front of the hash table makes repeated values (the usual case:
 * F/M, Normal/Osteopenia, yes/no) cost one short memcmp. */
static guint32
intern_value (DensitoTable  *self,
              DensitoColumn *col,
              const char    *s,
              gsize          len,
              guint         *n_newlines)
{
  guint32 h = fnv_hash (s, len);
  guint slot = h % INTERN_CACHE_SIZE;
  gpointer found;
  const char *stored;
  guint32 idx;
  guint8 code = 0;

  if (col->cache[slot].s != NULL && col->cache[slot].len == len &&
      memcmp (col->cache[slot].s, s, len) == 0)
    {
      idx = col->cache[slot].idx;
      goto out;
    }

  {
    char stackbuf[256];
    g_autofree char *heapbuf = NULL;
    char *key = len < sizeof stackbuf ? stackbuf : (heapbuf = g_malloc (len + 1));

    memcpy (key, s, len);
    key[len] = '\0';
    if (memchr (key, '\0', len) != NULL)
      {
        /* A NUL inside a cell was reported as invalid text already; keep
         * the rest of the cell readable. */
        for (gsize i = 0; i < len; i++)
          if (key[i] == '\0')
            key[i] = ' ';
      }

    if (g_hash_table_lookup_extended (col->value_index, key, NULL, &found))
      {
        idx = GPOINTER_TO_UINT (found);
      }
    else
      {
        stored = g_string_chunk_insert_len (self->strings, key, (gssize)len);
        idx = col->values->len;
        g_ptr_array_add (col->values, (gpointer)stored);
        if (col->kind == DENSITO_KIND_SEX && len > 0)
          {
            DensitoSex sex;
            gboolean canonical;
            code = densito_parse_sex (stored, len, &sex, &canonical) ? (guint8)sex : CODE_INVALID;
          }
        else if (col->kind == DENSITO_KIND_LABEL && len > 0)
          {
            DensitoClass label;
            code = densito_parse_label (stored, len, &label) ? (guint8)label : CODE_INVALID;
          }
        g_byte_array_append (col->codes, &code, 1);
        g_hash_table_insert (col->value_index, (gpointer)stored, GUINT_TO_POINTER (idx));
      }

    col->cache[slot].s = g_ptr_array_index (col->values, idx);
    col->cache[slot].len = (guint32)len;
    col->cache[slot].idx = idx;
  }

out:
  if (n_newlines != NULL)
    *n_newlines = memchr (s, '\n', len) ? count_newlines (s, len, '\n') : 0;
  return idx;
}

static void
keep_raw (DensitoTable  *self,
          DensitoColumn *col,
          guint          row,
          const char    *s,
          gsize          len)
{
  const char *stored = g_string_chunk_insert_len (self->strings, s, (gssize)len);

  g_hash_table_insert (col->raw, GUINT_TO_POINTER (row + 1), (gpointer)stored);
}

static void
report (Loader          *loader,
        DensitoDiagCode  code,
        DensitoColumn   *col,
        const char      *value,
        gssize           len,
        const char      *detail)
{
  densito_diagnostics_add (loader->diags, code, loader->file, loader->record_line,
                           col ? col->name : NULL, value, len, detail);
}

static void
add_column (Loader     *loader,
            const char *name,
            DensitoField field)
{
  DensitoTable *self = loader->table;
  DensitoColumn *col = column_new (self, name, field);

  g_ptr_array_add (self->columns, col);
  if (field != DENSITO_FIELD_OTHER)
    self->field_column[field] = (int)self->columns->len - 1;
}

/* A row with more fields than the header: the extra cells go into extra
 * columns, which earlier rows see as empty. */
static DensitoColumn *
add_extra_column (Loader *loader,
                  guint   index)
{
  DensitoTable *self = loader->table;
  g_autofree char *name = g_strdup_printf ("COLUMN_%u", index + 1);
  DensitoColumn *col;

  add_column (loader, name, DENSITO_FIELD_OTHER);
  col = g_ptr_array_index (self->columns, self->columns->len - 1);
  for (guint r = 0; r < self->n_rows; r++)
    col->v.idx[r] = 0;
  return col;
}

static void
store_number (Loader        *loader,
              DensitoColumn *col,
              guint          row,
              const char    *s,
              gsize          len)
{
  double value;
  guint8 decimals;
  gboolean canonical = TRUE;

  if (len == 0)
    {
      col->v.num[row] = NAN;
      col->dec[row] = 0;
      return;
    }

  if (G_UNLIKELY (col->decimal_sep == '\0'))
    {
      /* A semicolon table: the first number with a separator decides
       * whether this column writes decimal commas or points. */
      for (gsize i = 0; i < len; i++)
        if (s[i] == ',' || s[i] == '.')
          {
            col->decimal_sep = s[i];
            break;
          }
    }

  if (G_LIKELY (densito_parse_number (s, len, col->decimal_sep ? col->decimal_sep : '.',
                                      &value, &decimals, &canonical)))
    {
      col->v.num[row] = value;
      col->dec[row] = decimals;
      if (!canonical)
        {
          loader->line += count_newlines (s, len, loader->cr_only ? '\r' : '\n');
          keep_raw (loader->table, col, row, s, len);
        }
      if (loader->have_plausible[col->field] &&
          (value < loader->plausible_lo[col->field] || value > loader->plausible_hi[col->field]))
        {
          g_autofree char *detail = g_strdup_printf ("%g…%g", loader->plausible_lo[col->field],
                                                     loader->plausible_hi[col->field]);
          report (loader, DENSITO_DIAG_IMPLAUSIBLE, col, s, (gssize)len, detail);
        }
      return;
    }

  loader->line += count_newlines (s, len, loader->cr_only ? '\r' : '\n');
  col->v.num[row] = NAN;
  col->dec[row] = 0;
  keep_raw (loader->table, col, row, s, len);
  report (loader, DENSITO_DIAG_BAD_NUMBER, col, s, (gssize)len, NULL);
}

static void
store_range (Loader        *loader,
             DensitoColumn *col,
             guint          row,
             const char    *s,
             gsize          len)
{
  DensitoRange range;
  gboolean canonical = TRUE;
  gboolean ok;

  if (len == 0)
    {
      col->v.range[row].lo = col->v.range[row].hi = DENSITO_RANGE_MISSING;
      return;
    }

  if (col->kind == DENSITO_KIND_MENOPAUSE)
    ok = densito_parse_menopause (s, len, &range, &canonical);
  else
    ok = densito_parse_range (s, len, &range, &canonical);

  if (G_LIKELY (ok))
    {
      col->v.range[row] = range;
      if (!canonical)
        {
          loader->line += count_newlines (s, len, loader->cr_only ? '\r' : '\n');
          keep_raw (loader->table, col, row, s, len);
        }
      return;
    }

  loader->line += count_newlines (s, len, loader->cr_only ? '\r' : '\n');
  col->v.range[row].lo = col->v.range[row].hi = DENSITO_RANGE_MISSING;
  keep_raw (loader->table, col, row, s, len);
  report (loader, col->kind == DENSITO_KIND_MENOPAUSE ? DENSITO_DIAG_BAD_MENOPAUSE : DENSITO_DIAG_BAD_RANGE,
          col, s, (gssize)len, NULL);
}

static void
store_date (Loader        *loader,
            DensitoColumn *col,
            guint          row,
            const char    *s,
            gsize          len)
{
  gint32 date;
  gboolean canonical = TRUE;

  if (len == 0)
    {
      col->v.date[row] = DENSITO_DATE_MISSING;
      return;
    }

  if (G_LIKELY (densito_parse_date (s, len, &date, &canonical)))
    {
      col->v.date[row] = date;
      if (!canonical)
        {
          loader->line += count_newlines (s, len, loader->cr_only ? '\r' : '\n');
          keep_raw (loader->table, col, row, s, len);
        }
      return;
    }

  loader->line += count_newlines (s, len, loader->cr_only ? '\r' : '\n');
  col->v.date[row] = DENSITO_DATE_MISSING;
  keep_raw (loader->table, col, row, s, len);
  report (loader, DENSITO_DIAG_BAD_DATE, col, s, (gssize)len, NULL);
}

static void
store_text (Loader        *loader,
            DensitoColumn *col,
            guint          row,
            const char    *s,
            gsize          len)
{
  guint nl = 0;
  guint32 idx = intern_value (loader->table, col, s, len, loader->cr_only ? NULL : &nl);

  if (loader->cr_only)
    nl = count_newlines (s, len, '\r');
  loader->line += nl;
  col->v.idx[row] = idx;

  if (col->codes->data[idx] == CODE_INVALID)
    report (loader, col->kind == DENSITO_KIND_SEX ? DENSITO_DIAG_BAD_SEX : DENSITO_DIAG_BAD_LABEL,
            col, s, (gssize)len, NULL);
}

static void
store_id (Loader     *loader,
          guint       row,
          const char *s,
          gsize       len)
{
  DensitoTable *self = loader->table;
  gboolean numeric = len > 0 && len <= 18 && (s[0] != '0' || len == 1);
  gint64 key = 0;

  for (gsize i = 0; numeric && i < len; i++)
    {
      if (s[i] < '0' || s[i] > '9')
        numeric = FALSE;
      else
        key = key * 10 + (s[i] - '0');
    }

  if (!numeric)
    {
      /* An empty ID is decided on when the row is kept (record_cb). */
      if (len > 0)
        self->ids_numeric = FALSE;
      loader->line += count_newlines (s, len, loader->cr_only ? '\r' : '\n');
    }
  else
    {
      self->id_num[row] = key;
      if (row > 0 && self->ids_sorted && key <= self->id_num[row - 1])
        self->ids_sorted = FALSE;
    }

  if (self->id_buf_len + len + 1 > self->id_buf_cap)
    {
      self->id_buf_cap = MAX (self->id_buf_cap * 2, self->id_buf_len + len + 1 + 4096);
      self->id_buf = g_realloc (self->id_buf, self->id_buf_cap);
    }
  if (G_UNLIKELY (self->id_buf_len > G_MAXUINT32))
    g_error ("ID storage over 4 GiB");
  self->id_off[row] = (guint32)self->id_buf_len;
  memcpy (self->id_buf + self->id_buf_len, s, len);
  self->id_buf_len += len;
  self->id_buf[self->id_buf_len++] = '\0';
}

static void
store_cell (Loader        *loader,
            DensitoColumn *col,
            guint          row,
            const char    *s,
            gsize          len)
{
  switch (col->kind)
    {
    case DENSITO_KIND_NUMBER:
      store_number (loader, col, row, s, len);
      break;
    case DENSITO_KIND_RANGE:
    case DENSITO_KIND_MENOPAUSE:
      store_range (loader, col, row, s, len);
      break;
    case DENSITO_KIND_DATE:
      store_date (loader, col, row, s, len);
      break;
    case DENSITO_KIND_ID:
      store_id (loader, row, s, len);
      break;
    case DENSITO_KIND_TEXT:
    case DENSITO_KIND_SEX:
    case DENSITO_KIND_LABEL:
    default:
      store_text (loader, col, row, s, len);
      break;
    }
}

static void
store_missing (Loader        *loader,
               DensitoColumn *col,
               guint          row)
{
  store_cell (loader, col, row, "", 0);
}

/* libcsv callbacks */

static void
field_cb (void   *data,
          size_t  len,
          void   *user_data)
{
  Loader *loader = user_data;
  DensitoTable *self = loader->table;
  const char *s = data ? data : "";
  g_autofree char *fixed = NULL;
  guint index = loader->field++;

  if (index == 0)
    {
      loader->record_line = loader->line;
      loader->row_nonempty = FALSE;
    }
  if (len > 0)
    loader->row_nonempty = TRUE;

  if (G_UNLIKELY (loader->check_utf8) && !g_utf8_validate_len (s, len, NULL))
    {
      DensitoColumn *col = !loader->in_header && index < self->columns->len
                           ? g_ptr_array_index (self->columns, index) : NULL;

      /* Invalid bytes, NUL among them, become U+FFFD. */
      fixed = g_utf8_make_valid (s, (gssize)len);
      report (loader, DENSITO_DIAG_INVALID_UTF8, col, fixed, -1, NULL);
      s = fixed;
      len = strlen (fixed);
    }

  if (G_UNLIKELY (loader->in_header))
    {
      g_ptr_array_add (loader->header, g_strndup (s, len));
      loader->line += count_newlines (s, len, loader->cr_only ? '\r' : '\n');
      return;
    }

  if (G_UNLIKELY (index >= self->columns->len))
    {
      DensitoColumn *extra;

      while (self->columns->len < index)
        add_extra_column (loader, self->columns->len);
      extra = add_extra_column (loader, index);
      store_cell (loader, extra, self->n_rows, s, len);
      return;
    }

  store_cell (loader, g_ptr_array_index (self->columns, index), self->n_rows, s, len);
}

static void finish_header (Loader *loader);

static void
record_cb (int   c,
           void *user_data)
{
  Loader *loader = user_data;
  DensitoTable *self = loader->table;
  guint n_fields = loader->field;
  guint row = self->n_rows;

  loader->field = 0;
  if (c == '\n' || (c == '\r' && loader->cr_only))
    loader->line++;

  /* A blank line, reported because of CSV_REPALL_NL. */
  if (n_fields == 0)
    return;

  if (loader->in_header)
    {
      finish_header (loader);
      return;
    }

  /* Fill what a short row lacks, so every column has a value here. */
  for (guint i = n_fields; i < self->columns->len; i++)
    store_missing (loader, g_ptr_array_index (self->columns, i), row);

  /* A row of empty cells (",,,," left by a spreadsheet) holds no data. */
  if (!loader->row_nonempty)
    return;

  if (n_fields < self->columns->len)
    {
      g_autofree char *detail = g_strdup_printf ("%u", n_fields);
      report (loader, DENSITO_DIAG_TOO_FEW_FIELDS, NULL, NULL, 0, detail);
    }
  else if (n_fields > loader->header->len)
    {
      g_autofree char *detail = g_strdup_printf ("%u", n_fields);
      report (loader, DENSITO_DIAG_TOO_MANY_FIELDS, NULL, NULL, 0, detail);
    }

  if (self->field_column[DENSITO_FIELD_ID] >= 0 && self->id_buf[self->id_off[row]] == '\0')
    {
      DensitoColumn *idcol = g_ptr_array_index (self->columns, self->field_column[DENSITO_FIELD_ID]);
      report (loader, DENSITO_DIAG_EMPTY_ID, idcol, NULL, 0, NULL);
      self->ids_numeric = FALSE;
    }

  self->lines[row] = loader->record_line;
  self->n_rows++;
  ensure_capacity (self, self->n_rows + 1);
}

static void
finish_header (Loader *loader)
{
  DensitoTable *self = loader->table;
  gboolean any_name = FALSE;

  loader->in_header = FALSE;
  ensure_capacity (self, 1);

  for (guint i = 0; i < loader->header->len; i++)
    {
      char *raw = g_ptr_array_index (loader->header, i);
      g_autofree char *name = g_strstrip (g_strdup (raw));
      DensitoField field = densito_field_from_header (name, strlen (name));

      if (*name != '\0')
        any_name = TRUE;

      if (*name == '\0')
        {
          g_autofree char *fallback = g_strdup_printf ("COLUMN_%u", i + 1);
          report (loader, DENSITO_DIAG_EMPTY_COLUMN_NAME, NULL, NULL, 0, fallback);
          g_free (name);
          name = g_steal_pointer (&fallback);
        }
      else if (field != DENSITO_FIELD_OTHER && self->field_column[field] >= 0)
        {
          report (loader, DENSITO_DIAG_DUPLICATE_COLUMN, NULL, name, -1, NULL);
          field = DENSITO_FIELD_OTHER;
        }

      /* The name as written, without surrounding spaces. */
      add_column (loader, name, field);
    }

  if (!any_name)
    self->columns->len = 0;
}

/* Loading */

static int
no_space (unsigned char c)
{
  return 0;
}

static char
detect_delimiter (const char *buf,
                  gsize       len)
{
  guint counts[3] = { 0, 0, 0 };
  const char delims[3] = { ',', ';', '\t' };
  gboolean quoted = FALSE;
  guint best = 0;

  for (gsize i = 0; i < len; i++)
    {
      char c = buf[i];

      if (c == '"')
        quoted = !quoted;
      else if (!quoted && (c == '\n' || c == '\r'))
        break;
      else if (!quoted)
        for (guint d = 0; d < 3; d++)
          if (c == delims[d])
            counts[d]++;
    }

  for (guint d = 1; d < 3; d++)
    if (counts[d] > counts[best])
      best = d;
  return delims[best];
}

/* TRUE when the block has a byte >= 0x80 or a NUL, which is when cells
 * need a UTF-8 check. Eight bytes at a time. */
static gboolean
block_needs_utf8_check (const char *buf,
                        gsize       len)
{
  gsize i = 0;
  const guint64 ones = G_GUINT64_CONSTANT (0x0101010101010101);
  const guint64 highs = G_GUINT64_CONSTANT (0x8080808080808080);

  for (; i + 8 <= len; i += 8)
    {
      guint64 w;
      memcpy (&w, buf + i, 8);
      if ((w & highs) != 0 || ((w - ones) & ~w & highs) != 0)
        return TRUE;
    }
  for (; i < len; i++)
    if ((guchar)buf[i] >= 0x80 || buf[i] == '\0')
      return TRUE;
  return FALSE;
}

static void
find_duplicates (Loader *loader)
{
  DensitoTable *self = loader->table;
  DensitoColumn *idcol = g_ptr_array_index (self->columns, self->field_column[DENSITO_FIELD_ID]);

  if (self->n_rows == 0)
    return;

  self->duplicate = g_new0 (guint8, self->n_rows);

  /* The common case: numeric IDs in increasing order have no duplicates
   * and need no index. */
  if (self->ids_numeric && self->ids_sorted)
    return;

  self->id_index = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint r = 0; r < self->n_rows; r++)
    {
      const char *id = self->id_buf + self->id_off[r];
      gpointer first;

      if (*id == '\0')
        continue;

      if (g_hash_table_lookup_extended (self->id_index, id, NULL, &first))
        {
          guint fr = GPOINTER_TO_UINT (first) - 1;
          g_autofree char *detail = g_strdup_printf ("%u", self->lines[fr]);

          self->duplicate[fr] = 1;
          self->duplicate[r] = 1;
          densito_diagnostics_add (loader->diags, DENSITO_DIAG_DUPLICATE_ID, loader->file,
                                   self->lines[r], idcol->name, id, -1, detail);
        }
      else
        g_hash_table_insert (self->id_index, (gpointer)id, GUINT_TO_POINTER (r + 1));
    }
}

static inline double
column_number (DensitoTable *self,
               DensitoField  field,
               guint         row)
{
  int c = self->field_column[field];

  if (c < 0)
    return NAN;
  return ((DensitoColumn *)g_ptr_array_index (self->columns, c))->v.num[row];
}

static inline DensitoRange
column_range (DensitoTable *self,
              DensitoField  field,
              guint         row)
{
  int c = self->field_column[field];
  DensitoRange missing = { DENSITO_RANGE_MISSING, DENSITO_RANGE_MISSING };

  if (c < 0)
    return missing;
  return ((DensitoColumn *)g_ptr_array_index (self->columns, c))->v.range[row];
}

static guint8
column_code (DensitoTable *self,
             DensitoField  field,
             guint         row)
{
  int c = self->field_column[field];
  DensitoColumn *col;
  guint8 code;

  if (c < 0)
    return 0;
  col = g_ptr_array_index (self->columns, c);
  code = col->codes->data[col->v.idx[row]];
  return code == CODE_INVALID ? 0 : code;
}

/* Classification and the other per-row facts, computed once after load. */
static void
derive (Loader *loader)
{
  DensitoTable *self = loader->table;
  guint n = self->n_rows;
  gboolean have_menopause = self->field_column[DENSITO_FIELD_MENOPAUSE] >= 0;
  int bmi_col = self->field_column[DENSITO_FIELD_BMI];

  for (guint s = 0; s < DENSITO_N_SITES; s++)
    self->site_class[s] = g_new (guint8, MAX (n, 1));
  self->klass = g_new (guint8, MAX (n, 1));
  self->deciding = g_new (guint8, MAX (n, 1));
  self->applicable = g_new (guint8, MAX (n, 1));
  self->reason = g_new (guint8, MAX (n, 1));
  self->agrees = g_new (guint8, MAX (n, 1));
  self->sex = g_new (guint8, MAX (n, 1));
  self->label = g_new (guint8, MAX (n, 1));
  self->bmi_computed = g_new (float, MAX (n, 1));
  self->bmi_mismatch = g_new0 (guint8, MAX (n, 1));

  for (guint r = 0; r < n; r++)
    {
      double t[DENSITO_N_SITES];
      DensitoSite site;
      DensitoReason reason;
      double bmi, stated;

      for (guint s = 0; s < DENSITO_N_SITES; s++)
        {
          t[s] = column_number (self, site_t_fields[s], r);
          self->site_class[s][r] = (guint8)densito_classify_tscore (t[s]);
        }
      self->klass[r] = (guint8)densito_classify_worst (t, &site);
      self->deciding[r] = (guint8)site;
      self->sex[r] = column_code (self, DENSITO_FIELD_SEX, r);
      self->label[r] = column_code (self, DENSITO_FIELD_LABEL, r);
      self->applicable[r] = (guint8)densito_classify_applicability (self->sex[r],
                                                                    column_range (self, DENSITO_FIELD_AGE, r),
                                                                    have_menopause,
                                                                    column_range (self, DENSITO_FIELD_MENOPAUSE, r),
                                                                    &reason);
      self->reason[r] = (guint8)reason;
      self->agrees[r] = (guint8)densito_classify_agreement (self->klass[r], self->label[r]);

      bmi = densito_compute_bmi (column_number (self, DENSITO_FIELD_WEIGHT, r),
                                 column_number (self, DENSITO_FIELD_HEIGHT, r));
      self->bmi_computed[r] = (float)bmi;
      stated = column_number (self, DENSITO_FIELD_BMI, r);
      if (isfinite (bmi) && isfinite (stated) && fabs (bmi - stated) > DENSITO_BMI_TOLERANCE)
        {
          char buf[DENSITO_CELL_BUF];
          char computed[32];
          DensitoColumn *col = g_ptr_array_index (self->columns, bmi_col);

          self->bmi_mismatch[r] = 1;
          g_ascii_formatd (computed, sizeof computed, "%.1f", bmi);
          densito_diagnostics_add (loader->diags, DENSITO_DIAG_BMI_MISMATCH, loader->file,
                                   self->lines[r], col->name,
                                   densito_table_get_cell (self, r, (guint)bmi_col, buf), -1,
                                   computed);
        }
    }
}

static gboolean
run_parser (Loader               *loader,
            GInputStream         *stream,
            goffset               size,
            GCancellable         *cancellable,
            DensitoProgressFunc   progress,
            gpointer              progress_data,
            GError              **error)
{
  DensitoTable *self = loader->table;
  g_autofree char *buf = g_malloc (BLOCK_SIZE);
  goffset done = 0;
  gboolean first = TRUE;
  gboolean prev_needs_check = FALSE;

  for (;;)
    {
      gssize n = g_input_stream_read (stream, buf, BLOCK_SIZE, cancellable, error);
      const char *p = buf;
      gboolean needs_check;

      if (n < 0)
        return FALSE;
      if (n == 0)
        break;

      if (first)
        {
          first = FALSE;
          if (n >= 3 && memcmp (buf, "\xef\xbb\xbf", 3) == 0)
            {
              p += 3;
              n -= 3;
            }
          self->delimiter = detect_delimiter (p, (gsize)n);
          csv_set_delim (&loader->parser, (unsigned char)self->delimiter);
          loader->cr_only = memchr (p, '\r', (gsize)n) != NULL && memchr (p, '\n', (gsize)n) == NULL;

          /* Guess the row count from the first lines, so the arrays are
           * allocated once in the usual case. */
          if (size > 0)
            {
              const char *nl = memchr (p, loader->cr_only ? '\r' : '\n', (gsize)n);
              gsize line_len = nl ? (gsize)(nl - p) + 1 : (gsize)n;
              gsize sample = MIN ((gsize)n, (gsize)65536);
              guint lines = count_newlines (p, sample, loader->cr_only ? '\r' : '\n');
              double avg = lines > 1 ? (double)sample / lines : (double)line_len;
              ensure_capacity (self, (guint)MIN ((double)size / MAX (avg, 8.0) * 1.05 + 16, (double)G_MAXUINT32 / 2));
            }
        }

      needs_check = block_needs_utf8_check (p, (gsize)n);
      loader->check_utf8 = needs_check || prev_needs_check;
      prev_needs_check = needs_check;

      if (csv_parse (&loader->parser, p, (gsize)n, field_cb, record_cb, loader) != (gsize)n)
        {
          g_set_error (error, DENSITO_ERROR, DENSITO_ERROR_UNREADABLE,
                       _("%s: cannot parse: %s"), loader->file,
                       csv_strerror (csv_error (&loader->parser)));
          return FALSE;
        }

      done += n;
      if (progress != NULL && size > 0)
        progress (MIN (1.0, (double)done / (double)size), progress_data);

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
    }

  /* A quoted field still open at the end of the file was never closed.
   * libcsv's CSV_STRICT_FINI only reports that in strict mode, which
   * refuses much ordinary spreadsheet output, so look at the state: 2 is
   * libcsv's FIELD_BEGUN. The field is kept; the user is told. */
  if (loader->parser.quoted && loader->parser.pstate == 2)
    densito_diagnostics_add (loader->diags, DENSITO_DIAG_UNTERMINATED_QUOTE, loader->file,
                             loader->field == 0 ? loader->line : loader->record_line,
                             NULL, NULL, 0, NULL);
  loader->check_utf8 = TRUE;
  csv_fini (&loader->parser, field_cb, record_cb, loader);

  return TRUE;
}

/**
 * densito_table_load:
 * @path: a CSV file (comma, semicolon or tab separated)
 * @diagnostics: where problems in cells are recorded
 * @progress: (nullable): called after each block with the fraction read
 *
 * Loads a patient table. Only an unreadable file, an empty file, a file
 * without a header, or one without an ID column fails; every other
 * problem becomes a diagnostic and loading goes on. Blocking: call it
 * from a worker thread in the GUI.
 *
 * Returns: (transfer full): the table, or %NULL with @error set
 */
DensitoTable *
densito_table_load (const char          *path,
                    DensitoDiagnostics  *diagnostics,
                    GCancellable        *cancellable,
                    DensitoProgressFunc  progress,
                    gpointer             progress_data,
                    GError             **error)
{
  g_autoptr(DensitoTable) self = NULL;
  g_autoptr(GFile) file = NULL;
  g_autoptr(GFileInputStream) stream = NULL;
  g_autoptr(GFileInfo) info = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GPtrArray) header = NULL;
  Loader loader = { 0 };
  goffset size = 0;
  gboolean ok;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (DENSITO_IS_DIAGNOSTICS (diagnostics), NULL);

  self = g_object_new (DENSITO_TYPE_TABLE, NULL);
  self->path = g_strdup (path);
  self->display_name = g_filename_display_name (path);

  file = g_file_new_for_path (path);
  stream = g_file_read (file, cancellable, &local_error);
  if (stream == NULL)
    {
      g_set_error (error, DENSITO_ERROR, DENSITO_ERROR_UNREADABLE,
                   _("%s: cannot open the table: %s"), self->display_name, local_error->message);
      return NULL;
    }

  info = g_file_input_stream_query_info (stream, G_FILE_ATTRIBUTE_STANDARD_SIZE, cancellable, NULL);
  if (info != NULL)
    size = g_file_info_get_size (info);

  header = g_ptr_array_new_with_free_func (g_free);
  loader.table = self;
  loader.diags = diagnostics;
  loader.file = self->display_name;
  loader.header = header;
  loader.in_header = TRUE;
  loader.line = 1;
  loader.record_line = 1;
  for (guint i = 0; i < G_N_ELEMENTS (plausible); i++)
    {
      loader.have_plausible[plausible[i].field] = TRUE;
      loader.plausible_lo[plausible[i].field] = plausible[i].lo;
      loader.plausible_hi[plausible[i].field] = plausible[i].hi;
    }

  if (csv_init (&loader.parser, CSV_APPEND_NULL | CSV_REPALL_NL) != 0)
    g_error ("libcsv: out of memory");
  /* Keep spaces around unquoted fields: cells are kept verbatim, and the
   * typed parsers decide what surrounding space means. */
  csv_set_space_func (&loader.parser, no_space);

  ok = run_parser (&loader, G_INPUT_STREAM (stream), size, cancellable,
                   progress, progress_data, &local_error);
  csv_free (&loader.parser);

  if (!ok)
    {
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
          local_error->domain == DENSITO_ERROR)
        g_propagate_error (error, g_steal_pointer (&local_error));
      else
        g_set_error (error, DENSITO_ERROR, DENSITO_ERROR_UNREADABLE,
                     _("%s: cannot read the table: %s"), self->display_name, local_error->message);
      return NULL;
    }

  if (loader.in_header)
    {
      g_set_error (error, DENSITO_ERROR, DENSITO_ERROR_EMPTY,
                   _("%s: the file is empty"), self->display_name);
      return NULL;
    }
  if (self->columns->len == 0)
    {
      g_set_error (error, DENSITO_ERROR, DENSITO_ERROR_NO_HEADER,
                   _("%s: line 1 has no column names"), self->display_name);
      return NULL;
    }
  if (self->field_column[DENSITO_FIELD_ID] < 0)
    {
      g_set_error (error, DENSITO_ERROR, DENSITO_ERROR_NO_ID_COLUMN,
                   _("%s: no patient ID column (expected IDENTIFIER1, IDENTIFIER_1 or ID in line 1)"),
                   self->display_name);
      return NULL;
    }

  shrink_to_fit (self);
  find_duplicates (&loader);
  derive (&loader);

  return g_steal_pointer (&self);
}

/* GObject */

static void
densito_table_finalize (GObject *object)
{
  DensitoTable *self = DENSITO_TABLE (object);

  g_clear_pointer (&self->columns, g_ptr_array_unref);
  g_clear_pointer (&self->strings, g_string_chunk_free);
  g_clear_pointer (&self->id_index, g_hash_table_unref);
  g_mutex_clear (&self->id_index_lock);
  g_free (self->path);
  g_free (self->display_name);
  g_free (self->lines);
  g_free (self->id_off);
  g_free (self->id_buf);
  g_free (self->id_num);
  g_free (self->duplicate);
  for (guint s = 0; s < DENSITO_N_SITES; s++)
    g_free (self->site_class[s]);
  g_free (self->klass);
  g_free (self->deciding);
  g_free (self->applicable);
  g_free (self->reason);
  g_free (self->agrees);
  g_free (self->sex);
  g_free (self->label);
  g_free (self->bmi_computed);
  g_free (self->bmi_mismatch);

  G_OBJECT_CLASS (densito_table_parent_class)->finalize (object);
}

static void
densito_table_class_init (DensitoTableClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = densito_table_finalize;
}

static void
densito_table_init (DensitoTable *self)
{
  self->columns = g_ptr_array_new_with_free_func (column_free);
  self->strings = g_string_chunk_new (64 * 1024);
  self->delimiter = ',';
  self->ids_numeric = TRUE;
  self->ids_sorted = TRUE;
  g_mutex_init (&self->id_index_lock);
  for (guint i = 0; i < DENSITO_N_FIELDS; i++)
    self->field_column[i] = -1;
}

/* Public API */

const char *
densito_table_get_path (DensitoTable *self)
{
  g_return_val_if_fail (DENSITO_IS_TABLE (self), NULL);
  return self->path;
}

char
densito_table_get_delimiter (DensitoTable *self)
{
  g_return_val_if_fail (DENSITO_IS_TABLE (self), ',');
  return self->delimiter;
}

guint
densito_table_get_n_rows (DensitoTable *self)
{
  g_return_val_if_fail (DENSITO_IS_TABLE (self), 0);
  return self->n_rows;
}

guint
densito_table_get_n_columns (DensitoTable *self)
{
  g_return_val_if_fail (DENSITO_IS_TABLE (self), 0);
  return self->columns->len;
}

const char *
densito_table_get_column_name (DensitoTable *self,
                               guint         column)
{
  g_return_val_if_fail (DENSITO_IS_TABLE (self), NULL);
  g_return_val_if_fail (column < self->columns->len, NULL);
  return ((DensitoColumn *)g_ptr_array_index (self->columns, column))->name;
}

DensitoField
densito_table_get_column_field (DensitoTable *self,
                                guint         column)
{
  g_return_val_if_fail (DENSITO_IS_TABLE (self), DENSITO_FIELD_OTHER);
  g_return_val_if_fail (column < self->columns->len, DENSITO_FIELD_OTHER);
  return ((DensitoColumn *)g_ptr_array_index (self->columns, column))->field;
}

int
densito_table_get_field_column (DensitoTable *self,
                                DensitoField  field)
{
  g_return_val_if_fail (DENSITO_IS_TABLE (self), -1);
  g_return_val_if_fail (field < DENSITO_N_FIELDS, -1);
  return self->field_column[field];
}

/**
 * densito_table_get_cell:
 * @buf: scratch space the result may be written into
 *
 * The cell's text exactly as the file had it (after UTF-8 repair).
 *
 * Returns: a string owned by the table or @buf
 */
const char *
densito_table_get_cell (DensitoTable *self,
                        guint         row,
                        guint         column,
                        char          buf[DENSITO_CELL_BUF])
{
  DensitoColumn *col;
  const char *raw;

  g_return_val_if_fail (DENSITO_IS_TABLE (self), "");
  g_return_val_if_fail (row < self->n_rows, "");
  g_return_val_if_fail (column < self->columns->len, "");

  col = g_ptr_array_index (self->columns, column);

  if (col->kind == DENSITO_KIND_ID)
    return self->id_buf + self->id_off[row];
  if (kind_is_interned (col->kind))
    return g_ptr_array_index (col->values, col->v.idx[row]);

  raw = g_hash_table_lookup (col->raw, GUINT_TO_POINTER (row + 1));
  if (raw != NULL)
    return raw;

  switch (col->kind)
    {
    case DENSITO_KIND_NUMBER:
      densito_format_number (buf, DENSITO_CELL_BUF, col->v.num[row], col->dec[row],
                             col->decimal_sep ? col->decimal_sep : '.');
      break;
    case DENSITO_KIND_RANGE:
    case DENSITO_KIND_MENOPAUSE:
      densito_format_range (buf, DENSITO_CELL_BUF, col->v.range[row]);
      break;
    case DENSITO_KIND_DATE:
      densito_format_date (buf, DENSITO_CELL_BUF, col->v.date[row]);
      break;
    case DENSITO_KIND_ID:
    case DENSITO_KIND_TEXT:
    case DENSITO_KIND_SEX:
    case DENSITO_KIND_LABEL:
    default:
      buf[0] = '\0';
      break;
    }
  return buf;
}

guint32
densito_table_get_line (DensitoTable *self,
                        guint         row)
{
  g_return_val_if_fail (DENSITO_IS_TABLE (self), 0);
  g_return_val_if_fail (row < self->n_rows, 0);
  return self->lines[row];
}

const char *
densito_table_get_id (DensitoTable *self,
                      guint         row)
{
  g_return_val_if_fail (DENSITO_IS_TABLE (self), NULL);
  g_return_val_if_fail (row < self->n_rows, NULL);
  return self->id_buf + self->id_off[row];
}

gboolean
densito_table_is_duplicate (DensitoTable *self,
                            guint         row)
{
  g_return_val_if_fail (DENSITO_IS_TABLE (self), FALSE);
  g_return_val_if_fail (row < self->n_rows, FALSE);
  return self->duplicate[row] != 0;
}

/**
 * densito_table_find_id:
 * @len: length of @id, or -1
 *
 * Returns: the first row with that ID, or -1. Thread-safe.
 */
int
densito_table_find_id (DensitoTable *self,
                       const char   *id,
                       gssize        len)
{
  g_autofree char *key = NULL;
  gpointer found;
  int row = -1;

  g_return_val_if_fail (DENSITO_IS_TABLE (self), -1);
  g_return_val_if_fail (id != NULL, -1);

  if (len < 0)
    len = (gssize)strlen (id);

  if (self->ids_numeric && self->ids_sorted)
    {
      gint64 key_num = 0;
      guint lo = 0, hi = self->n_rows;

      if (len == 0 || len > 18 || (id[0] == '0' && len > 1))
        return -1;
      for (gssize i = 0; i < len; i++)
        {
          if (id[i] < '0' || id[i] > '9')
            return -1;
          key_num = key_num * 10 + (id[i] - '0');
        }
      while (lo < hi)
        {
          guint mid = lo + (hi - lo) / 2;
          if (self->id_num[mid] < key_num)
            lo = mid + 1;
          else
            hi = mid;
        }
      return lo < self->n_rows && self->id_num[lo] == key_num ? (int)lo : -1;
    }

  key = g_strndup (id, (gsize)len);
  g_mutex_lock (&self->id_index_lock);
  if (self->id_index == NULL)
    {
      self->id_index = g_hash_table_new (g_str_hash, g_str_equal);
      for (guint r = self->n_rows; r > 0; r--)
        g_hash_table_insert (self->id_index, self->id_buf + self->id_off[r - 1], GUINT_TO_POINTER (r));
    }
  if (g_hash_table_lookup_extended (self->id_index, key, NULL, &found))
    row = (int)GPOINTER_TO_UINT (found) - 1;
  g_mutex_unlock (&self->id_index_lock);

  return row;
}

static DensitoColumn *
field_column (DensitoTable *self,
              DensitoField  field,
              DensitoKind   kind)
{
  int c = self->field_column[field];
  DensitoColumn *col;

  if (c < 0)
    return NULL;
  col = g_ptr_array_index (self->columns, c);
  if (col->kind != kind && !(kind == DENSITO_KIND_RANGE && col->kind == DENSITO_KIND_MENOPAUSE))
    return NULL;
  return col;
}

double
densito_table_get_number (DensitoTable *self,
                          guint         row,
                          DensitoField  field)
{
  DensitoColumn *col;

  g_return_val_if_fail (DENSITO_IS_TABLE (self), NAN);
  g_return_val_if_fail (row < self->n_rows, NAN);

  col = field_column (self, field, DENSITO_KIND_NUMBER);
  return col ? col->v.num[row] : NAN;
}

DensitoRange
densito_table_get_range (DensitoTable *self,
                         guint         row,
                         DensitoField  field)
{
  DensitoRange missing = { DENSITO_RANGE_MISSING, DENSITO_RANGE_MISSING };
  DensitoColumn *col;

  g_return_val_if_fail (DENSITO_IS_TABLE (self), missing);
  g_return_val_if_fail (row < self->n_rows, missing);

  col = field_column (self, field, DENSITO_KIND_RANGE);
  return col ? col->v.range[row] : missing;
}

gint32
densito_table_get_date (DensitoTable *self,
                        guint         row,
                        DensitoField  field)
{
  DensitoColumn *col;

  g_return_val_if_fail (DENSITO_IS_TABLE (self), DENSITO_DATE_MISSING);
  g_return_val_if_fail (row < self->n_rows, DENSITO_DATE_MISSING);

  col = field_column (self, field, DENSITO_KIND_DATE);
  return col ? col->v.date[row] : DENSITO_DATE_MISSING;
}

DensitoSex
densito_table_get_sex (DensitoTable *self,
                       guint         row)
{
  g_return_val_if_fail (DENSITO_IS_TABLE (self), DENSITO_SEX_UNKNOWN);
  g_return_val_if_fail (row < self->n_rows, DENSITO_SEX_UNKNOWN);
  return self->sex[row];
}

DensitoClass
densito_table_get_label (DensitoTable *self,
                         guint         row)
{
  g_return_val_if_fail (DENSITO_IS_TABLE (self), DENSITO_CLASS_MISSING);
  g_return_val_if_fail (row < self->n_rows, DENSITO_CLASS_MISSING);
  return self->label[row];
}

gboolean
densito_table_has_label_column (DensitoTable *self)
{
  g_return_val_if_fail (DENSITO_IS_TABLE (self), FALSE);
  return self->field_column[DENSITO_FIELD_LABEL] >= 0;
}

DensitoClass
densito_table_get_site_class (DensitoTable *self,
                              guint         row,
                              DensitoSite   site)
{
  g_return_val_if_fail (DENSITO_IS_TABLE (self), DENSITO_CLASS_MISSING);
  g_return_val_if_fail (row < self->n_rows, DENSITO_CLASS_MISSING);
  g_return_val_if_fail (site < DENSITO_N_SITES, DENSITO_CLASS_MISSING);
  return self->site_class[site][row];
}

DensitoClass
densito_table_get_class (DensitoTable *self,
                         guint         row,
                         DensitoSite  *deciding_site)
{
  g_return_val_if_fail (DENSITO_IS_TABLE (self), DENSITO_CLASS_MISSING);
  g_return_val_if_fail (row < self->n_rows, DENSITO_CLASS_MISSING);
  if (deciding_site != NULL)
    *deciding_site = self->deciding[row];
  return self->klass[row];
}

DensitoApplicability
densito_table_get_applicability (DensitoTable  *self,
                                 guint          row,
                                 DensitoReason *reason)
{
  g_return_val_if_fail (DENSITO_IS_TABLE (self), DENSITO_APPLICABLE_UNKNOWN);
  g_return_val_if_fail (row < self->n_rows, DENSITO_APPLICABLE_UNKNOWN);
  if (reason != NULL)
    *reason = self->reason[row];
  return self->applicable[row];
}

DensitoAgreement
densito_table_get_agreement (DensitoTable *self,
                             guint         row)
{
  g_return_val_if_fail (DENSITO_IS_TABLE (self), DENSITO_AGREES_UNKNOWN);
  g_return_val_if_fail (row < self->n_rows, DENSITO_AGREES_UNKNOWN);
  return self->agrees[row];
}

double
densito_table_get_bmi_computed (DensitoTable *self,
                                guint         row)
{
  g_return_val_if_fail (DENSITO_IS_TABLE (self), NAN);
  g_return_val_if_fail (row < self->n_rows, NAN);
  return self->bmi_computed[row];
}

gboolean
densito_table_get_bmi_mismatch (DensitoTable *self,
                                guint         row)
{
  g_return_val_if_fail (DENSITO_IS_TABLE (self), FALSE);
  g_return_val_if_fail (row < self->n_rows, FALSE);
  return self->bmi_mismatch[row] != 0;
}

const char *
densito_field_canonical_name (DensitoField field)
{
  for (guint i = 0; i < G_N_ELEMENTS (header_names); i++)
    if (header_names[i].field == field)
      return header_names[i].name;
  return NULL;
}

/* Header names match case-insensitively after trimming, with aliases. */
DensitoField
densito_field_from_header (const char *name,
                           gsize       len)
{
  while (len > 0 && g_ascii_isspace (*name))
    {
      name++;
      len--;
    }
  while (len > 0 && g_ascii_isspace (name[len - 1]))
    len--;

  for (guint i = 0; i < G_N_ELEMENTS (header_names); i++)
    if (strlen (header_names[i].name) == len &&
        g_ascii_strncasecmp (header_names[i].name, name, len) == 0)
      return header_names[i].field;
  return DENSITO_FIELD_OTHER;
}

typedef struct
{
  gboolean done;
  gboolean has_id;
} Probe;

static void
probe_field_cb (void   *data,
                size_t  len,
                void   *user_data)
{
  Probe *probe = user_data;

  if (!probe->done && data != NULL &&
      densito_field_from_header (data, len) == DENSITO_FIELD_ID)
    probe->has_id = TRUE;
}

static void
probe_record_cb (int   c,
                 void *user_data)
{
  Probe *probe = user_data;

  probe->done = TRUE;
}

/**
 * densito_table_probe:
 * @has_id_column: (out): whether line 1 names an ID column
 * @n_lines: (out) (optional): the number of lines, a cheap row estimate
 *
 * Looks at a CSV file's header without loading it, to find the table of
 * a dataset folder by content.
 */
gboolean
densito_table_probe (const char  *path,
                     gboolean    *has_id_column,
                     guint64     *n_lines,
                     GError     **error)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFileInputStream) stream = NULL;
  g_autofree char *buf = g_malloc (BLOCK_SIZE);
  struct csv_parser parser;
  Probe probe = { 0 };
  guint64 lines = 0;
  gboolean first = TRUE;

  stream = g_file_read (file, NULL, error);
  if (stream == NULL)
    return FALSE;

  if (csv_init (&parser, CSV_APPEND_NULL) != 0)
    g_error ("libcsv: out of memory");
  csv_set_space_func (&parser, no_space);

  for (;;)
    {
      gssize n = g_input_stream_read (G_INPUT_STREAM (stream), buf, BLOCK_SIZE, NULL, error);
      const char *p = buf;

      if (n < 0)
        {
          csv_free (&parser);
          return FALSE;
        }
      if (n == 0)
        break;
      if (first)
        {
          first = FALSE;
          if (n >= 3 && memcmp (buf, "\xef\xbb\xbf", 3) == 0)
            {
              p += 3;
              n -= 3;
            }
          csv_set_delim (&parser, (unsigned char)detect_delimiter (p, (gsize)n));
        }
      if (!probe.done)
        csv_parse (&parser, p, MIN ((gsize)n, (gsize)65536), probe_field_cb, probe_record_cb, &probe);
      if (n_lines == NULL)
        break;
      lines += count_newlines (p, (gsize)n, '\n');
    }
  if (!probe.done)
    csv_fini (&parser, probe_field_cb, probe_record_cb, &probe);
  csv_free (&parser);

  *has_id_column = probe.has_id;
  if (n_lines != NULL)
    *n_lines = lines;
  return TRUE;
}
