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
#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <unistd.h>
#include <math.h>
#include <string.h>
#include <sys/mman.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

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
  gboolean            prev_high;
  gboolean            cr_only;
  guint               derived_rows;
  gboolean            have_plausible[DENSITO_N_FIELDS];
  double              plausible_lo[DENSITO_N_FIELDS];
  double              plausible_hi[DENSITO_N_FIELDS];
} Loader;

/* Helpers */

static gsize kind_elem_size (DensitoKind kind);
static void array_free (gpointer mem,
                        gsize    size);

static void
column_free (DensitoColumn *col,
             guint          capacity)
{
  g_free (col->name);
  if (!col->borrowed)
    {
      array_free (col->v.num, kind_elem_size (col->kind) * capacity);
    }
  g_clear_pointer (&col->wide, g_hash_table_unref);
  g_clear_pointer (&col->raw, g_hash_table_unref);
  g_clear_pointer (&col->values, g_ptr_array_unref);
  g_clear_pointer (&col->codes, g_byte_array_unref);
  g_clear_pointer (&col->value_index, g_hash_table_unref);
  g_free (col);
}

/* Column arrays of a large table are hundreds of MB written once from
 * start to end. Taking a page fault for every 4 KiB of them costs more
 * than the parse itself (measured: 37,000 faults, 0.35 s of system time
 * for 1,000,000 rows), so arrays of 512 KiB and more are mapped on their
 * own and the rows about to be written are faulted in with one
 * madvise(MADV_POPULATE_WRITE) call (see prefault_rows()). Mapping them
 * also gives memory back at once when they are freed, which keeps the
 * peak of a parallel load near one table's size. */
#define HUGE_PAGE ((gsize)2 << 20)

static inline gboolean
is_big (gsize size)
{
  return size >= HUGE_PAGE / 4;
}

static inline gsize
big_size (gsize size)
{
  return (size + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
}

static gpointer
big_alloc (gsize size)
{
  gsize len = big_size (size);
  guint8 *raw = mmap (NULL, len + HUGE_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  guint8 *aligned;
  gsize head;

  if (raw == MAP_FAILED)
    g_error ("out of memory mapping %" G_GSIZE_FORMAT " bytes", len);
  aligned = (guint8 *)(((guintptr)raw + HUGE_PAGE - 1) & ~(guintptr)(HUGE_PAGE - 1));
  head = (gsize)(aligned - raw);
  if (head > 0)
    munmap (raw, head);
  if (HUGE_PAGE - head > 0)
    munmap (aligned + len, HUGE_PAGE - head);
#ifdef MADV_HUGEPAGE
  /* Huge pages: writing twenty streams at once through 4 KiB pages misses
   * the TLB on every page, and each 4 KiB fault costs more than zeroing
   * the page. A huge page that is only partly used is resident in full,
   * which costs at most 2 MiB per array (measured at 1,000,000 rows: peak
   * RSS 127 MB, against 114 MB when arrays under 8 MiB keep small pages,
   * which made the load slower). */
  madvise (aligned, len, MADV_HUGEPAGE);
#endif
  return aligned;
}

static void
array_free (gpointer mem,
            gsize    size)
{
  if (mem == NULL)
    return;
  if (is_big (size))
    munmap (mem, big_size (size));
  else
    g_free (mem);
}

static void
prefault (gpointer mem,
          gsize    capacity_bytes,
          gsize    from,
          gsize    to)
{
#ifdef MADV_POPULATE_WRITE
  guintptr start, end;

  if (mem == NULL || !is_big (capacity_bytes))
    return;
  to = MIN (to, big_size (capacity_bytes));
  start = ((guintptr)mem + from) & ~(guintptr)4095;
  end = ((guintptr)mem + to + 4095) & ~(guintptr)4095;
  if (end > start)
    madvise ((void *)start, end - start, MADV_POPULATE_WRITE);
#endif
}

/* Like g_realloc(), for arrays that may be big; the caller knows the old size. */
static gpointer
array_resize (gpointer mem,
              gsize    old_size,
              gsize    size)
{
  gpointer p;

  if (mem == NULL)
    old_size = 0;
  if (!is_big (old_size) && !is_big (size))
    return g_realloc (mem, size);
  if (is_big (old_size) && is_big (size) && big_size (size) <= big_size (old_size))
    {
      /* Shrinking a mapping: give back the tail, copy nothing. */
      if (big_size (size) < big_size (old_size))
        munmap ((guint8 *)mem + big_size (size), big_size (old_size) - big_size (size));
      return mem;
    }

  p = is_big (size) ? big_alloc (size) : g_malloc (size);
  if (mem != NULL)
    memcpy (p, mem, MIN (old_size, size));
  array_free (mem, old_size);
  return p;
}

static gsize
kind_elem_size (DensitoKind kind)
{
  switch (kind)
    {
    case DENSITO_KIND_NUMBER: return sizeof (gint32);
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

G_GNUC_NO_INLINE
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
    col->v.num = array_resize (NULL, 0, elem * self->capacity);
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

/* The arrays with one element per row, besides the columns. */
#define ROW_ARRAY(member) { G_STRUCT_OFFSET (DensitoTable, member), sizeof (*((DensitoTable *)NULL)->member) }
static const struct {
  goffset offset;
  gsize   elem;
} row_arrays[] = {
  ROW_ARRAY (lines), ROW_ARRAY (id_off), ROW_ARRAY (id_num),
  ROW_ARRAY (site_class[DENSITO_SITE_SPINE]), ROW_ARRAY (site_class[DENSITO_SITE_HIP]),
  ROW_ARRAY (site_class[DENSITO_SITE_NECK]), ROW_ARRAY (klass), ROW_ARRAY (deciding),
  ROW_ARRAY (applicable), ROW_ARRAY (reason), ROW_ARRAY (agrees), ROW_ARRAY (sex),
  ROW_ARRAY (label), ROW_ARRAY (bmi_computed), ROW_ARRAY (bmi_mismatch),
};
#undef ROW_ARRAY

/* The one-byte arrays (eleven of them) share one block: each mapped on
 * its own, every one ended in a huge page of which it used half at
 * 1,000,000 rows, 12 MB of pages the load had to fault in and zero. */
static inline gboolean
is_byte_array (guint i)
{
  return row_arrays[i].elem == 1;
}

static guint8 **
byte_block (DensitoTable *self)
{
  for (guint i = 0; i < G_N_ELEMENTS (row_arrays); i++)
    if (is_byte_array (i))
      return G_STRUCT_MEMBER_P (self, row_arrays[i].offset);
  g_assert_not_reached ();
}

static guint
n_byte_arrays (void)
{
  guint n = 0;

  for (guint i = 0; i < G_N_ELEMENTS (row_arrays); i++)
    n += is_byte_array (i);
  return n;
}

/* Moves the one-byte arrays into a new block for @cap rows, keeping the
 * first @keep rows of each. */
static void
byte_block_resize (DensitoTable *self,
                   guint         cap,
                   guint         keep)
{
  guint8 *old = *byte_block (self);
  guint8 *block = array_resize (NULL, 0, (gsize)n_byte_arrays () * cap);
  guint j = 0;

  for (guint i = 0; i < G_N_ELEMENTS (row_arrays); i++)
    if (is_byte_array (i))
      {
        guint8 **array = G_STRUCT_MEMBER_P (self, row_arrays[i].offset);

        if (*array != NULL && keep > 0)
          memcpy (block + (gsize)j * cap, *array, keep);
        *array = block + (gsize)j * cap;
        j++;
      }
  array_free (old, (gsize)n_byte_arrays () * self->byte_cap);
  self->byte_cap = cap;
}

/* Faults in the pages of rows [from, to) of every array at once. */
static void
prefault_rows (DensitoTable *self,
               guint         from,
               guint         to)
{
  to = MIN (to, self->capacity);
  if (from >= to)
    return;

  for (guint c = 0; c < self->columns->len; c++)
    {
      DensitoColumn *col = g_ptr_array_index (self->columns, c);
      gsize elem = kind_elem_size (col->kind);

      prefault (col->v.num, elem * self->capacity, elem * from, elem * to);
    }
  for (guint i = 0; i < G_N_ELEMENTS (row_arrays); i++)
    prefault (G_STRUCT_MEMBER (gpointer, self, row_arrays[i].offset),
              row_arrays[i].elem * self->capacity,
              row_arrays[i].elem * from, row_arrays[i].elem * to);
}

/* FALSE when the table is a view into another's arrays and full. */
static gboolean
ensure_capacity (DensitoTable *self,
                 guint         needed)
{
  guint cap;

  if (needed <= self->capacity)
    return TRUE;
  if (self->borrowed)
    return FALSE;

  cap = MAX (needed, self->capacity + self->capacity / 2 + 64);

  for (guint c = 0; c < self->columns->len; c++)
    {
      DensitoColumn *col = g_ptr_array_index (self->columns, c);
      gsize elem = kind_elem_size (col->kind);

      if (elem > 0)
        col->v.num = array_resize (col->v.num, elem * self->capacity, elem * cap);
    }
  for (guint i = 0; i < G_N_ELEMENTS (row_arrays); i++)
    {
      gpointer *array = G_STRUCT_MEMBER_P (self, row_arrays[i].offset);

      if (!is_byte_array (i))
        *array = array_resize (*array, row_arrays[i].elem * self->capacity, row_arrays[i].elem * cap);
    }
  byte_block_resize (self, cap, MIN (self->n_rows, self->capacity));
  self->capacity = cap;
  return TRUE;
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
        col->v.num = array_resize (col->v.num, elem * self->capacity, elem * cap);
    }
  /* The block of one-byte arrays keeps its size: what the rows past the
   * end did not touch is not resident, and moving the slices together
   * would cost more than the little it gives back. */
  for (guint i = 0; i < G_N_ELEMENTS (row_arrays); i++)
    {
      gpointer *array = G_STRUCT_MEMBER_P (self, row_arrays[i].offset);

      if (!is_byte_array (i))
        *array = array_resize (*array, row_arrays[i].elem * self->capacity, row_arrays[i].elem * cap);
    }
  self->capacity = cap;
}

/* The IDs' text is one buffer, big like the arrays; only what is written
 * of a generous reservation becomes resident. */
static void
id_buf_reserve (DensitoTable *self,
                gsize         needed)
{
  gsize cap;
  char *buf;

  if (G_LIKELY (needed <= self->id_buf_cap))
    return;
  cap = MAX (self->id_buf_cap * 2, needed + 4096);
  buf = array_resize (NULL, 0, cap);
  if (self->id_buf_len > 0)
    memcpy (buf, self->id_buf, self->id_buf_len);
  array_free (self->id_buf, self->id_buf_cap);
  self->id_buf = buf;
  self->id_buf_cap = cap;
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
G_GNUC_NO_INLINE static guint32
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

G_GNUC_NO_INLINE static void
keep_raw (DensitoTable  *self,
          DensitoColumn *col,
          guint          row,
          const char    *s,
          gsize          len)
{
  const char *stored = g_string_chunk_insert_len (self->strings, s, (gssize)len);

  g_hash_table_insert (col->raw, GUINT_TO_POINTER (row + 1), (gpointer)stored);
}

G_GNUC_NO_INLINE static void
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

const double densito_pow10[16] = {
  1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
};

/* The compact code of ±m / 10^d, or DENSITO_NUM_WIDE when it does not
 * fit (a mantissa of 2^27 or more, or a negative zero). */
static inline gint32
num_code (guint64  m,
          guint    d,
          gboolean neg)
{
  guint64 a = (m << 4) | d;

  if (m >= (G_GUINT64_CONSTANT (1) << 27) || d > 15 || (neg && m == 0) || a >= G_MAXINT32)
    return DENSITO_NUM_WIDE;
  return neg ? -(gint32)a : (gint32)a;
}

G_GNUC_NO_INLINE static void
store_wide (DensitoColumn *col,
            guint          row,
            double         value,
            guint8         decimals)
{
  DensitoWideNumber *w = g_new (DensitoWideNumber, 1);

  w->value = value;
  w->decimals = decimals;
  if (col->wide == NULL)
    col->wide = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  g_hash_table_replace (col->wide, GUINT_TO_POINTER (row + 1), w);
  col->v.num[row] = DENSITO_NUM_WIDE;
}

/* Stores a parsed value: compact when it is exactly ±m / 10^d with a
 * small m, as the parser computes it; wide otherwise. */
static void
store_value (DensitoColumn *col,
             guint          row,
             double         value,
             guint8         decimals)
{
  double a = fabs (value);

  if (decimals < 16 && a < (double)(1 << 27) && !(value == 0 && signbit (value)))
    {
      guint64 m = (guint64)llround (a * densito_pow10[decimals]);
      gint32 code = num_code (m, decimals, signbit (value) != 0);

      if (code != DENSITO_NUM_WIDE && (double)m / densito_pow10[decimals] == a)
        {
          col->v.num[row] = code;
          return;
        }
    }
  store_wide (col, row, value, decimals);
}

/* The common case, a canonical decimal such as "-1.9" or "0.837", parsed
 * inline; anything else goes to densito_parse_number(). The result is the
 * same: an exact integer mantissa divided by an exact power of ten. */
static inline gboolean
fast_number (const char *s,
             gsize       len,
             char        sep,
             guint64    *mantissa,
             guint8     *decimals,
             gboolean   *negative)
{
  const char *p = s;
  const char *end = s + len;
  guint64 m = 0;
  int digits = 0;
  int point = -1;
  gboolean neg = FALSE;

  if (*p == '-')
    {
      neg = TRUE;
      p++;
    }
  if (p == end || (*p == '0' && p + 1 < end && p[1] != sep))
    return FALSE;
  for (; p < end; p++)
    {
      guint d = (guint)(guchar)*p - '0';
      if (d < 10)
        {
          m = m * 10 + d;
          digits++;
        }
      else if (*p == sep && point < 0 && digits > 0)
        point = digits;
      else
        return FALSE;
    }
  if (digits == 0 || digits > 15 || point == digits)
    return FALSE;

  *decimals = (guint8)(point < 0 ? 0 : digits - point);
  *mantissa = m;
  *negative = neg;
  return TRUE;
}

static inline gboolean
fast_digits (const char *s,
             guint       n,
             int        *out)
{
  int v = 0;

  for (guint i = 0; i < n; i++)
    {
      guint d = (guint)(guchar)s[i] - '0';
      if (d >= 10)
        return FALSE;
      v = v * 10 + (int)d;
    }
  *out = v;
  return TRUE;
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
  guint64 m;
  gboolean neg;
  gboolean canonical = TRUE;
  gboolean ok;

  if (len == 0)
    {
      col->v.num[row] = DENSITO_NUM_MISSING;
      return;
    }

  if (G_UNLIKELY (col->decimal_sep == '\0'))
    {
      /* A semicolon table: the first number written with a separator
       * decides whether this column writes decimal commas or points. */
      if (memchr (s, ',', len) && fast_number (s, len, ',', &m, &decimals, &neg))
        col->decimal_sep = ',';
      else if (memchr (s, '.', len) && fast_number (s, len, '.', &m, &decimals, &neg))
        col->decimal_sep = '.';
    }

  if (G_LIKELY (fast_number (s, len, col->decimal_sep ? col->decimal_sep : '.', &m, &decimals, &neg)))
    {
      gint32 code = num_code (m, decimals, neg);

      value = (double)m / densito_pow10[decimals];
      if (neg)
        value = -value;
      if (G_LIKELY (code != DENSITO_NUM_WIDE))
        col->v.num[row] = code;
      else
        store_wide (col, row, value, decimals);
      goto plausible;
    }

  ok = densito_parse_number (s, len, col->decimal_sep ? col->decimal_sep : '.',
                             &value, &decimals, &canonical);
  if (!ok && loader->table->delimiter == ';' && col->decimal_sep != ',')
    {
      /* In a semicolon table a decimal comma is a number even in a
       * column that mostly writes points; its text is kept as written. */
      ok = densito_parse_number (s, len, ',', &value, &decimals, &canonical);
      canonical = FALSE;
    }

  if (G_LIKELY (ok))
    {
      store_value (col, row, value, decimals);
      if (!canonical)
        {
          loader->line += count_newlines (s, len, loader->cr_only ? '\r' : '\n');
          keep_raw (loader->table, col, row, s, len);
        }
    plausible:
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
  col->v.num[row] = DENSITO_NUM_MISSING;
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

  /* Fast paths: "0", "40-45", "1975-1979". */
  if (len == 1 && s[0] == '0' && col->kind == DENSITO_KIND_MENOPAUSE)
    {
      col->v.range[row].lo = col->v.range[row].hi = 0;
      return;
    }
  if ((len == 5 && s[2] == '-') || (len == 9 && s[4] == '-'))
    {
      guint half = len == 5 ? 2 : 4;
      int lo, hi;

      if (s[0] != '0' && s[half + 1] != '0' &&
          fast_digits (s, half, &lo) && fast_digits (s + half + 1, half, &hi) && lo <= hi && hi <= 3000)
        {
          col->v.range[row].lo = (gint16)lo;
          col->v.range[row].hi = (gint16)hi;
          return;
        }
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

  /* Fast path: MM-YYYY. */
  if (len == 7 && s[2] == '-')
    {
      int month, year;

      if (fast_digits (s, 2, &month) && fast_digits (s + 3, 4, &year) &&
          month >= 1 && month <= 12 && year >= 1900 && year <= 2100)
        {
          col->v.date[row] = year * 12 + month - 1;
          return;
        }
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

  id_buf_reserve (self, self->id_buf_len + len + 1);
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

static void field_cb (void   *data,
                      size_t  len,
                      void   *user_data);

G_GNUC_NO_INLINE static void
field_cb_invalid_utf8 (Loader     *loader,
                       guint       index,
                       const char *s,
                       gsize       len)
{
  DensitoTable *self = loader->table;
  DensitoColumn *col = !loader->in_header && index < self->columns->len
                       ? g_ptr_array_index (self->columns, index) : NULL;
  /* Invalid bytes, NUL among them, become U+FFFD; the cell is then
   * handled as if the file had said that. */
  g_autofree char *fixed = g_utf8_make_valid (s, (gssize)len);

  report (loader, DENSITO_DIAG_INVALID_UTF8, col, fixed, -1, NULL);
  loader->check_utf8 = FALSE;
  loader->field = index;
  field_cb (fixed, strlen (fixed), loader);
  loader->check_utf8 = TRUE;
}

static void
field_cb (void   *data,
          size_t  len,
          void   *user_data)
{
  Loader *loader = user_data;
  DensitoTable *self = loader->table;
  const char *s = data ? data : "";
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
      field_cb_invalid_utf8 (loader, index, s, len);
      return;
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

      /* No header names: nothing is kept; the load fails. Empty extra
       * cells make no columns, so a row of ",,,," adds none. */
      if (self->columns->len == 0 || len == 0)
        return;
      while (self->columns->len < index)
        {
          extra = add_extra_column (loader, self->columns->len);
          extra->v.idx[self->n_rows] = 0;
        }
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
  if (self->columns->len == 0)
    return;

  /* Fill what a short row lacks, so every column has a value here. */
  for (guint i = n_fields; i < self->columns->len; i++)
    store_missing (loader, g_ptr_array_index (self->columns, i), row);

  /* A row of empty cells (",,,," left by a spreadsheet) holds no data. */
  if (!loader->row_nonempty)
    return;

  if (n_fields < loader->header->len)
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
  if (G_UNLIKELY (!ensure_capacity (self, self->n_rows + 1)))
    {
      /* The second half of a parallel load ran out of room: it is thrown
       * away, so the last row may as well be written over. */
      self->n_rows--;
      self->overflow = TRUE;
    }
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
      g_autofree char *trimmed = g_strstrip (g_strdup (g_ptr_array_index (loader->header, i)));
      if (*trimmed != '\0')
        any_name = TRUE;
    }
  /* A first line of empty names is no header at all. */
  if (!any_name)
    return;

  for (guint i = 0; i < loader->header->len; i++)
    {
      char *raw = g_ptr_array_index (loader->header, i);
      g_autofree char *name = g_strstrip (g_strdup (raw));
      DensitoField field = densito_field_from_header (name, strlen (name));

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
  return densito_column_number (g_ptr_array_index (self->columns, c), row, NULL);
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

/* Classification and the other per-row facts, computed once after load
 * for rows [from, to). */
static void
derive_rows (Loader             *loader,
             DensitoDiagnostics *diags,
             guint               from,
             guint               to)
{
  DensitoTable *self = loader->table;
  gboolean have_menopause = self->field_column[DENSITO_FIELD_MENOPAUSE] >= 0;
  int bmi_col = self->field_column[DENSITO_FIELD_BMI];

  for (guint r = from; r < to; r++)
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
      self->bmi_mismatch[r] = 0;
      stated = column_number (self, DENSITO_FIELD_BMI, r);
      if (isfinite (bmi) && isfinite (stated) && fabs (bmi - stated) > DENSITO_BMI_TOLERANCE)
        {
          char buf[DENSITO_CELL_BUF];
          char computed[32];
          DensitoColumn *col = g_ptr_array_index (self->columns, bmi_col);

          self->bmi_mismatch[r] = 1;
          g_ascii_formatd (computed, sizeof computed, "%.1f", bmi);
          densito_diagnostics_add (diags, DENSITO_DIAG_BMI_MISMATCH, loader->file,
                                   self->lines[r], col->name,
                                   densito_table_get_cell (self, r, (guint)bmi_col, buf), -1,
                                   computed);
        }
    }
}

/* libcsv's parser state after a record ends and before the next begins
 * (ROW_NOT_BEGUN in libcsv.c). */
#define CSV_STATE_ROW_NOT_BEGUN 0

/* Files at least this big are parsed by two threads, one per half. */
#define PARALLEL_MIN_BYTES (8 << 20)

static void
loader_init (Loader             *loader,
             DensitoTable       *table,
             DensitoDiagnostics *diags,
             GPtrArray          *header,
             gboolean            in_header)
{
  memset (loader, 0, sizeof *loader);
  loader->table = table;
  loader->diags = diags;
  loader->file = table->display_name;
  loader->header = header;
  loader->in_header = in_header;
  loader->line = 1;
  loader->record_line = 1;
  for (guint i = 0; i < G_N_ELEMENTS (plausible); i++)
    {
      loader->have_plausible[plausible[i].field] = TRUE;
      loader->plausible_lo[plausible[i].field] = plausible[i].lo;
      loader->plausible_hi[plausible[i].field] = plausible[i].hi;
    }

  if (csv_init (&loader->parser, CSV_APPEND_NULL | CSV_REPALL_NL) != 0)
    g_error ("libcsv: out of memory");
  /* Keep spaces around unquoted fields: cells are kept verbatim, and the
   * typed parsers decide what surrounding space means. */
  csv_set_space_func (&loader->parser, no_space);
  csv_set_delim (&loader->parser, (unsigned char)table->delimiter);
  /* libcsv grows a cell's buffer by this much at a time; the default 128
   * bytes makes a cell of megabytes cost quadratic time. */
  csv_set_blk_size (&loader->parser, 64 * 1024);
}

static gboolean
feed (Loader      *loader,
      const char  *p,
      gsize        n,
      GError     **error)
{
  gboolean high;

  if (n == 0)
    return TRUE;

  /* A cell may straddle two pieces, so the check stays on for the piece
   * after one with high bytes. */
  high = block_needs_utf8_check (p, n);
  loader->check_utf8 = high || loader->prev_high;

  if (csv_parse (&loader->parser, p, n, field_cb, record_cb, loader) != n)
    {
      g_set_error (error, DENSITO_ERROR, DENSITO_ERROR_UNREADABLE,
                   _("%s: cannot parse: %s"), loader->file,
                   csv_strerror (csv_error (&loader->parser)));
      return FALSE;
    }
  /* Keep checking while a cell that may hold those bytes is still open. */
  loader->prev_high = (high || loader->prev_high) && loader->parser.entry_pos > 0;
  return TRUE;
}

static void
finish_parse (Loader *loader)
{
  /* A quoted field still open at the end of the file was never closed.
   * libcsv's CSV_STRICT_FINI only reports that in strict mode, which
   * refuses much ordinary spreadsheet output, so look at the state: 2 is
   * libcsv's FIELD_BEGUN. The field is kept; the user is told. */
  if (loader->parser.quoted && loader->parser.pstate == 2)
    {
      DensitoTable *self = loader->table;
      DensitoColumn *col = !loader->in_header && loader->field < self->columns->len
                           ? g_ptr_array_index (self->columns, loader->field) : NULL;

      densito_diagnostics_add (loader->diags, DENSITO_DIAG_UNTERMINATED_QUOTE, loader->file,
                               loader->field == 0 ? loader->line : loader->record_line,
                               col ? col->name : NULL, NULL, 0, NULL);
    }
  loader->check_utf8 = TRUE;
  csv_fini (&loader->parser, field_cb, record_cb, loader);
}

static guint
estimate_rows (const char *p,
               gsize       n,
               goffset     bytes,
               char        eol)
{
  gsize sample = MIN (n, (gsize)65536);
  guint lines = count_newlines (p, sample, eol);
  double avg = lines > 1 ? (double)sample / lines : (double)MAX (sample, 1);

  return (guint)MIN ((double)bytes / MAX (avg, 8.0) * 1.05 + 16, (double)G_MAXUINT32 / 2);
}

/* Line breaks in a piece of the file: '\n', '\r', and "\r\n" pairs, so
 * that both the loader's line count and a bound on the records ending in
 * the piece follow. @prev_cr carries a '\r' that ended the last piece. */
static void
count_breaks (const char *p,
              gsize       n,
              gboolean   *prev_cr,
              guint64    *lf,
              guint64    *cr,
              guint64    *crlf)
{
  guint carry = *prev_cr ? 1 : 0;
  gsize i = 0;

#ifdef __SSE2__
  const __m128i vlf = _mm_set1_epi8 ('\n');
  const __m128i vcr = _mm_set1_epi8 ('\r');

  for (; i + 16 <= n; i += 16)
    {
      __m128i v = _mm_loadu_si128 ((const __m128i *)(p + i));
      guint mlf = (guint)_mm_movemask_epi8 (_mm_cmpeq_epi8 (v, vlf));
      guint mcr = (guint)_mm_movemask_epi8 (_mm_cmpeq_epi8 (v, vcr));

      if ((mlf | mcr) == 0)
        {
          carry = 0;
          continue;
        }
      *lf += (guint)__builtin_popcount (mlf);
      *cr += (guint)__builtin_popcount (mcr);
      *crlf += (guint)__builtin_popcount (((mcr << 1) | carry) & mlf);
      carry = mcr >> 15;
    }
#endif
  for (; i < n; i++)
    {
      if (p[i] == '\n')
        {
          (*lf)++;
          *crlf += carry;
        }
      else if (p[i] == '\r')
        (*cr)++;
      carry = p[i] == '\r';
    }
  *prev_cr = carry != 0;
}

/* The second half of a big file, parsed by a worker thread. It starts at
 * a line break, which is a guess: a quoted cell may hold line breaks. The
 * guess is checked when the first half reaches that point; if it was
 * wrong, the half is thrown away and the first thread reads on.
 *
 * The half writes its rows straight into the first table's arrays, at a
 * row no lower than the first half can reach: every record ends with a
 * '\r', a '\n' or a "\r\n", so the first half has at most that many rows.
 * Counting them costs one pass over the first half's bytes; a merge that
 * copies every array would cost far more. Its own table is a view of
 * those arrays that cannot grow; its interned values, raw cells and IDs
 * are its own until the merge. */
typedef struct
{
  Loader              loader;
  DensitoTable       *table;              /* the view */
  DensitoDiagnostics *diags;
  char               *path;
  goffset             from;               /* where the first half's rows begin */
  goffset             start;              /* the split */
  guint32             first_line;         /* the first loader's line at @from */
  guint32             line_at_split;      /* ... and at @start, as counted here */
  guint               main_capacity;
  guint               n_shared;           /* columns that are views */
  guint               base;               /* row of the first table where this half begins */
  guint               estimate;
  GCancellable       *cancellable;
  GError             *error;
  gboolean            ok;
  GThread            *thread;
} Half;

/* Moves every array of the view to begin at row @base of the first table. */
static void
half_place (Half  *half,
            guint  base)
{
  DensitoTable *view = half->table;

  for (guint c = 0; c < half->n_shared; c++)
    {
      DensitoColumn *col = g_ptr_array_index (view->columns, c);
      gsize elem = kind_elem_size (col->kind);

      if (col->v.num != NULL)
        col->v.num = (gpointer)((guint8 *)col->v.num + elem * base);
    }
  for (guint i = 0; i < G_N_ELEMENTS (row_arrays); i++)
    {
      guint8 **array = G_STRUCT_MEMBER_P (view, row_arrays[i].offset);
      *array += row_arrays[i].elem * base;
    }
  view->capacity = half->main_capacity - base;
  half->base = base;
}

static gpointer
half_thread (gpointer data)
{
  Half *half = data;
  DensitoTable *view = half->table;
  g_autoptr(GFile) file = g_file_new_for_path (half->path);
  g_autoptr(GFileInputStream) stream = NULL;
  g_autofree char *buf = g_malloc (BLOCK_SIZE);
  goffset left = half->start - half->from;
  guint64 lf = 0, cr = 0, crlf = 0, ends;
  gboolean prev_cr = FALSE;

  stream = g_file_read (file, half->cancellable, &half->error);
  if (stream == NULL ||
      !g_seekable_seek (G_SEEKABLE (stream), half->from, G_SEEK_SET, half->cancellable, &half->error))
    return NULL;

  while (left > 0)
    {
      gssize n = g_input_stream_read (G_INPUT_STREAM (stream), buf, (gsize)MIN (left, BLOCK_SIZE),
                                      half->cancellable, &half->error);
      if (n <= 0)
        return NULL;
      count_breaks (buf, (gsize)n, &prev_cr, &lf, &cr, &crlf);
      left -= n;
    }
  /* A "\r\n" is one end of record, a lone '\r' or '\n' another. */
  ends = lf + cr - crlf;
  if (ends + 2 > half->main_capacity)
    return NULL;
  half_place (half, (guint)ends);
  half->line_at_split = half->first_line + (guint32)(half->loader.cr_only ? cr : lf);
  half->loader.line = half->loader.record_line = half->line_at_split;
  prefault_rows (view, 0, half->estimate);

  for (;;)
    {
      gssize n = g_input_stream_read (G_INPUT_STREAM (stream), buf, BLOCK_SIZE,
                                      half->cancellable, &half->error);
      if (n < 0)
        return NULL;
      if (n == 0)
        break;
      if (!feed (&half->loader, buf, (gsize)n, &half->error))
        return NULL;
      if (view->overflow)
        return NULL;
    }
  finish_parse (&half->loader);
  if (view->overflow)
    return NULL;
  derive_rows (&half->loader, half->diags, 0, view->n_rows);
  half->ok = TRUE;
  return NULL;
}

static Half *
half_start (Loader       *first,
            const char   *path,
            goffset       from,
            goffset       start,
            goffset       size,
            const char   *sample,
            gsize         sample_len,
            GCancellable *cancellable)
{
  DensitoTable *self = first->table;
  Half *half = g_new0 (Half, 1);
  DensitoTable *view;

  half->table = view = g_object_new (DENSITO_TYPE_TABLE, NULL);
  view->delimiter = self->delimiter;
  view->display_name = g_strdup (self->display_name);
  /* Capacity 0 until placed: add_column() allocates nothing. */
  view->borrowed = TRUE;
  half->diags = densito_diagnostics_new ();
  half->path = g_strdup (path);
  half->from = from;
  half->start = start;
  half->first_line = first->line;
  half->main_capacity = self->capacity;
  half->n_shared = self->columns->len;
  half->estimate = estimate_rows (sample, sample_len, size - start, first->cr_only ? '\r' : '\n');
  half->cancellable = cancellable ? g_object_ref (cancellable) : NULL;
  id_buf_reserve (view, (gsize)(size - start) / 8);

  loader_init (&half->loader, view, half->diags, first->header, FALSE);
  half->loader.cr_only = first->cr_only;
  for (guint c = 0; c < self->columns->len; c++)
    {
      DensitoColumn *col = g_ptr_array_index (self->columns, c);
      DensitoColumn *vcol;

      add_column (&half->loader, col->name, col->field);
      vcol = g_ptr_array_index (view->columns, c);
      vcol->v.num = col->v.num;
      vcol->borrowed = TRUE;
    }
  for (guint i = 0; i < G_N_ELEMENTS (row_arrays); i++)
    G_STRUCT_MEMBER (gpointer, view, row_arrays[i].offset) =
      G_STRUCT_MEMBER (gpointer, self, row_arrays[i].offset);

  half->thread = g_thread_new ("densito-table-half", half_thread, half);
  return half;
}

static void
half_free (Half *half)
{
  if (half->thread != NULL)
    g_thread_join (half->thread);
  csv_free (&half->loader.parser);
  g_clear_object (&half->table);
  g_clear_object (&half->diags);
  g_clear_object (&half->cancellable);
  g_clear_error (&half->error);
  g_free (half->path);
  g_free (half);
}

static void
fill_missing (DensitoColumn *col,
              guint          from,
              guint          to)
{
  for (guint r = from; r < to; r++)
    switch (col->kind)
      {
      case DENSITO_KIND_NUMBER:
        col->v.num[r] = DENSITO_NUM_MISSING;
        break;
      case DENSITO_KIND_RANGE:
      case DENSITO_KIND_MENOPAUSE:
        col->v.range[r].lo = col->v.range[r].hi = DENSITO_RANGE_MISSING;
        break;
      case DENSITO_KIND_DATE:
        col->v.date[r] = DENSITO_DATE_MISSING;
        break;
      case DENSITO_KIND_TEXT:
      case DENSITO_KIND_SEX:
      case DENSITO_KIND_LABEL:
        col->v.idx[r] = 0;
        break;
      case DENSITO_KIND_ID:
      default:
        break;
      }
}

/* Rows [from, from + n) of the first @n_columns columns and of every row
 * array move to @to. */
static void
move_rows (DensitoTable *self,
           guint         n_columns,
           guint         to,
           guint         from,
           guint         n)
{
  for (guint c = 0; c < n_columns; c++)
    {
      DensitoColumn *col = g_ptr_array_index (self->columns, c);
      gsize elem = kind_elem_size (col->kind);

      if (elem > 0)
        memmove ((guint8 *)col->v.num + elem * to, (guint8 *)col->v.num + elem * from, elem * n);
    }
  for (guint i = 0; i < G_N_ELEMENTS (row_arrays); i++)
    {
      guint8 *array = G_STRUCT_MEMBER (gpointer, self, row_arrays[i].offset);
      gsize elem = row_arrays[i].elem;

      memmove (array + elem * to, array + elem * from, elem * n);
    }
}

/* Makes the rows the second half wrote into this table's arrays part of
 * it: they move down when the first half had fewer rows than line breaks,
 * interned values are mapped to this table's, raw cells and IDs copied. */
static void
merge_half (Loader *first,
            Half   *half)
{
  DensitoTable *self = first->table;
  DensitoTable *other = half->table;
  guint base = self->n_rows;
  guint n = other->n_rows;
  guint32 id_shift;
  GHashTableIter iter;
  gpointer key, value;

  g_assert (base <= half->base);
  g_assert (half->base + n < self->capacity && self->capacity == half->main_capacity);

  if (base < half->base && n > 0)
    move_rows (self, half->n_shared, base, half->base, n);

  /* Extra columns that only one half saw. */
  while (self->columns->len < other->columns->len)
    add_extra_column (first, self->columns->len);

  for (guint c = 0; c < self->columns->len; c++)
    {
      DensitoColumn *col = g_ptr_array_index (self->columns, c);
      DensitoColumn *ocol;

      if (c >= other->columns->len)
        {
          fill_missing (col, base, base + n);
          continue;
        }
      ocol = g_ptr_array_index (other->columns, c);

      if (kind_is_interned (col->kind))
        {
          g_autofree guint32 *map = g_new (guint32, ocol->values->len);
          /* A view's rows are in place already; an extra column of the
           * second half has an array of its own. */
          const guint32 *src = ocol->borrowed ? col->v.idx + base : ocol->v.idx;
          gboolean identity = ocol->borrowed;

          for (guint v = 0; v < ocol->values->len; v++)
            {
              const char *text = g_ptr_array_index (ocol->values, v);
              map[v] = intern_value (self, col, text, strlen (text), NULL);
              identity = identity && map[v] == v;
            }
          if (!identity)
            for (guint r = 0; r < n; r++)
              col->v.idx[base + r] = map[src[r]];
        }
      else if (col->kind == DENSITO_KIND_NUMBER)
        {
          if (ocol->wide != NULL)
            {
              g_hash_table_iter_init (&iter, ocol->wide);
              while (g_hash_table_iter_next (&iter, &key, &value))
                {
                  guint r = GPOINTER_TO_UINT (key) - 1;
                  const DensitoWideNumber *w = value;

                  /* An entry left by a row that was written over is stale. */
                  if (r < n && col->v.num[base + r] == DENSITO_NUM_WIDE)
                    store_wide (col, base + r, w->value, w->decimals);
                }
            }
          /* In a semicolon table each half decided on its own whether a
           * column writes decimal commas. */
          if (col->decimal_sep == '\0')
            col->decimal_sep = ocol->decimal_sep;
          else if (ocol->decimal_sep != '\0' && ocol->decimal_sep != col->decimal_sep)
            for (guint r = 0; r < n; r++)
              {
                guint8 dec;
                double v = densito_column_number (col, base + r, &dec);

                if (!isnan (v) && dec > 0 && !g_hash_table_contains (ocol->raw, GUINT_TO_POINTER (r + 1)))
                  {
                    char buf[DENSITO_CELL_BUF];
                    gsize len = densito_format_number (buf, sizeof buf, v, dec, ocol->decimal_sep);
                    keep_raw (self, col, base + r, buf, len);
                  }
              }
        }

      g_hash_table_iter_init (&iter, ocol->raw);
      while (g_hash_table_iter_next (&iter, &key, &value))
        keep_raw (self, col, base + GPOINTER_TO_UINT (key) - 1, value, strlen (value));
    }

  /* IDs: the half's offsets point into its own buffer. */
  id_buf_reserve (self, self->id_buf_len + other->id_buf_len);
  if (G_UNLIKELY (self->id_buf_len + other->id_buf_len > G_MAXUINT32))
    g_error ("ID storage over 4 GiB");
  if (other->id_buf_len > 0)
    memcpy (self->id_buf + self->id_buf_len, other->id_buf, other->id_buf_len);
  id_shift = (guint32)self->id_buf_len;
  for (guint r = base; r < base + n; r++)
    self->id_off[r] += id_shift;
  self->id_buf_len += other->id_buf_len;
  if (!other->ids_numeric)
    self->ids_numeric = FALSE;
  if (!other->ids_sorted || (self->ids_numeric && base > 0 && n > 0 &&
                             self->id_num[base] <= self->id_num[base - 1]))
    self->ids_sorted = FALSE;

  /* Line numbers and diagnostics were counted from the split already. */
  self->n_rows = base + n;
  first->derived_rows = base + n;
  densito_diagnostics_append (first->diags, half->diags, 0);
}

static goffset
find_split (const char *path,
            goffset     from,
            char        eol)
{
  g_autofree char *window = g_malloc (65536);
  gssize n;
  const char *nl;
  int fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);

  if (fd < 0)
    return -1;
  n = pread (fd, window, 65536, from);
  close (fd);
  if (n <= 0)
    return -1;
  nl = memchr (window, eol, (gsize)n);
  return nl ? from + (nl - window) + 1 : -1;
}

static goffset
parallel_min_bytes (void)
{
  const char *env = g_getenv ("DENSITO_PARALLEL_MIN_BYTES");

  return env ? g_ascii_strtoll (env, NULL, 10) : PARALLEL_MIN_BYTES;
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
  const char *p = buf;
  gssize n;
  gsize pos = 0;
  goffset offset;       /* file offset of p + pos */
  goffset limit = G_MAXINT64;
  Half *half = NULL;
  g_autoptr(DensitoDiagnostics) pre_diags = NULL;
  gboolean merged = FALSE;
  char eol;

  n = g_input_stream_read (stream, buf, BLOCK_SIZE, cancellable, error);
  if (n < 0)
    return FALSE;
  if (n >= 3 && memcmp (buf, "\xef\xbb\xbf", 3) == 0)
    {
      p += 3;
      n -= 3;
    }
  offset = p - buf;

  self->delimiter = detect_delimiter (p, (gsize)n);
  csv_set_delim (&loader->parser, (unsigned char)self->delimiter);
  loader->cr_only = memchr (p, '\r', (gsize)n) != NULL && memchr (p, '\n', (gsize)n) == NULL;
  eol = loader->cr_only ? '\r' : '\n';

  /* Guess the row count from the first lines, so the arrays are allocated
   * once in the usual case. */
  if (size > 0 && n > 0)
    {
      ensure_capacity (self, estimate_rows (p, (gsize)n, size, eol));
      id_buf_reserve (self, (gsize)size / 8);
    }

  /* The header goes line by line, so that a second thread can start as
   * soon as the columns are known. */
  while (loader->in_header && pos < (gsize)n)
    {
      const char *nl = memchr (p + pos, eol, (gsize)n - pos);
      gsize end = nl ? (gsize)(nl - p) + 1 : (gsize)n;

      if (!feed (loader, p + pos, end - pos, error))
        return FALSE;
      offset += end - pos;
      pos = end;
    }

  if (!loader->in_header && self->columns->len > 0 && size >= parallel_min_bytes () && size > offset)
    {
      /* The second thread first counts the first half's line breaks,
       * which took 35 ms against 310 ms for parsing its half of a
       * 1,000,000-row table (timestamps); the first half is a little
       * bigger so that both end together. */
      goffset split = find_split (self->path, offset + (size - offset) * 53 / 100, eol);

      if (split > offset && split < size)
        {
          half = half_start (loader, self->path, offset, split, size, p, (gsize)n, cancellable);
          limit = split;
        }
    }
  if (!loader->in_header)
    prefault_rows (self, self->n_rows,
                   half ? estimate_rows (p, (gsize)n, limit - offset, eol) : self->capacity);

  for (;;)
    {
      gsize avail = (gsize)n - pos;

      if (offset + (goffset)avail > limit)
        avail = (gsize)(limit - offset);
      if (!feed (loader, p + pos, avail, error))
        goto fail;
      pos += avail;
      offset += avail;

      if (progress != NULL && size > 0)
        progress (MIN (1.0, (double)offset / (double)MIN (size, limit)), progress_data);
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        goto fail;

      if (offset == limit && half != NULL)
        {
          /* Classify this half's rows while the other thread may still
           * be busy; merge_half() keeps them. */
          if (loader->field == 0 && loader->parser.pstate == CSV_STATE_ROW_NOT_BEGUN)
            {
              pre_diags = densito_diagnostics_new ();
              derive_rows (loader, pre_diags, 0, self->n_rows);
              loader->derived_rows = self->n_rows;
            }
          g_thread_join (half->thread);
          half->thread = NULL;
          if (half->error != NULL && g_error_matches (half->error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            {
              g_propagate_error (error, g_steal_pointer (&half->error));
              goto fail;
            }
          if (half->ok && loader->field == 0 && loader->parser.pstate == CSV_STATE_ROW_NOT_BEGUN &&
              loader->line == half->line_at_split)
            {
              densito_diagnostics_append (loader->diags, pre_diags, 0);
              merge_half (loader, half);
              merged = TRUE;
              break;
            }
          /* The guess was wrong (a quoted cell spans the split) or the
           * worker failed: read on here. */
          g_clear_pointer (&half, half_free);
          g_clear_object (&pre_diags);
          limit = G_MAXINT64;
          loader->derived_rows = 0;
        }

      if (pos < (gsize)n)
        continue;

      n = g_input_stream_read (stream, buf, BLOCK_SIZE, cancellable, error);
      if (n < 0)
        goto fail;
      if (n == 0)
        break;
      p = buf;
      pos = 0;
    }

  if (!merged)
    finish_parse (loader);
  g_clear_pointer (&half, half_free);
  return TRUE;

fail:
  g_clear_pointer (&half, half_free);
  return FALSE;
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
  if (stream == NULL && g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
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
  loader_init (&loader, self, diagnostics, header, TRUE);

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

  /* The second half of a parallel load derived its own rows already. */
  derive_rows (&loader, loader.diags, loader.derived_rows, self->n_rows);
  shrink_to_fit (self);
  find_duplicates (&loader);

  return g_steal_pointer (&self);
}

/* GObject */

static void
densito_table_finalize (GObject *object)
{
  DensitoTable *self = DENSITO_TABLE (object);

  for (guint c = 0; c < self->columns->len; c++)
    column_free (g_ptr_array_index (self->columns, c), self->capacity);
  g_clear_pointer (&self->columns, g_ptr_array_unref);
  for (guint i = 0; i < G_N_ELEMENTS (row_arrays) && !self->borrowed; i++)
    if (!is_byte_array (i))
      array_free (G_STRUCT_MEMBER (gpointer, self, row_arrays[i].offset), row_arrays[i].elem * self->capacity);
  if (!self->borrowed)
    array_free (*byte_block (self), (gsize)n_byte_arrays () * self->byte_cap);
  g_clear_pointer (&self->strings, g_string_chunk_free);
  g_clear_pointer (&self->id_index, g_hash_table_unref);
  g_mutex_clear (&self->id_index_lock);
  g_free (self->path);
  g_free (self->display_name);
  array_free (self->id_buf, self->id_buf_cap);
  g_free (self->duplicate);

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
  self->columns = g_ptr_array_new ();
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
      {
        guint8 dec;
        double v = densito_column_number (col, row, &dec);

        densito_format_number (buf, DENSITO_CELL_BUF, v, dec, col->decimal_sep ? col->decimal_sep : '.');
      }
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
  return col ? densito_column_number (col, row, NULL) : NAN;
}

/**
 * densito_table_get_unreadable:
 *
 * A number cell that holds something else ("-1,x") reads as missing, and
 * was reported when the table was read; this is its text as written, so
 * that it is never shown as a blank.
 *
 * Returns: (nullable): the cell's text, or %NULL for a number, an empty
 *   cell or a field that is not a number column
 */
const char *
densito_table_get_unreadable (DensitoTable *self,
                              guint         row,
                              DensitoField  field)
{
  DensitoColumn *col;

  g_return_val_if_fail (DENSITO_IS_TABLE (self), NULL);
  g_return_val_if_fail (row < self->n_rows, NULL);

  col = field_column (self, field, DENSITO_KIND_NUMBER);
  if (col == NULL || !isnan (densito_column_number (col, row, NULL)))
    return NULL;
  return g_hash_table_lookup (col->raw, GUINT_TO_POINTER (row + 1));
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
