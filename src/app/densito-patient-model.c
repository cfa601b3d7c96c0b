/* densito-patient-model.c
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The patients that match the current query, as a GListModel, in the
 * order of the list's sort. The core's filter gives the matching rows as
 * an array. Items are slots, one per list position, made on first use and
 * kept: a refilter or a new sort points the slots at their new rows (each
 * emits DensitoPatient::changed, and its bound cells set their new text)
 * and reports only the positions that appear or vanish at the end. GTK
 * 4.8's list view rebuilds the row widgets of every item it has not seen
 * (about 200 rows of cells, 60 ms and more here), which one object per
 * patient could not avoid whenever the rows on screen change.
 *
 * The model sorts by itself, from the table's values, instead of under a
 * GtkSortListModel: that one asks for every item to sort them, which made
 * a slot for each of 1,000,000 rows (6.5 s and 256 MB to sort, then about
 * 3 s a keystroke). Here a sort orders every row once (perm), and a
 * refilter picks the matching rows out of that order.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "densito-patient-model.h"

struct _DensitoPatientModel
{
  GObject          parent_instance;
  DensitoDataset  *dataset;
  guint           *matched;   /* the rows the query matches, in table order */
  guint            n_matched;
  guint           *rows;      /* the same, in list order */
  guint            n_rows;
  DensitoPatient **slots;     /* per list position, made lazily */
  guint            n_made;    /* one past the last slot made */
  guint            total;
  DensitoSortTerm *terms;     /* the sort, or none */
  guint            n_terms;
  guint           *perm;      /* while sorted: every row, in sort order */
  guint           *pos_of;    /* while sorted: each row's list position */
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (DensitoPatientModel, densito_patient_model, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

static GType
get_item_type (GListModel *model)
{
  return DENSITO_TYPE_PATIENT;
}

static guint
get_n_items (GListModel *model)
{
  return DENSITO_PATIENT_MODEL (model)->n_rows;
}

static gpointer
get_item (GListModel *model,
          guint       position)
{
  DensitoPatientModel *self = DENSITO_PATIENT_MODEL (model);
  guint row;

  if (position >= self->n_rows)
    return NULL;
  row = self->rows[position];
  if (self->slots[position] == NULL)
    {
      self->slots[position] = densito_patient_new (self->dataset, row);
      self->n_made = MAX (self->n_made, position + 1);
    }
  else
    densito_patient_set_row (self->slots[position], row);
  return g_object_ref (self->slots[position]);
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = get_item_type;
  iface->get_n_items = get_n_items;
  iface->get_item = get_item;
}

static void
densito_patient_model_dispose (GObject *object)
{
  DensitoPatientModel *self = DENSITO_PATIENT_MODEL (object);

  if (self->slots != NULL)
    {
      for (guint i = 0; i < self->total; i++)
        g_clear_object (&self->slots[i]);
      g_clear_pointer (&self->slots, g_free);
    }
  g_clear_object (&self->dataset);

  G_OBJECT_CLASS (densito_patient_model_parent_class)->dispose (object);
}

static void
densito_patient_model_finalize (GObject *object)
{
  DensitoPatientModel *self = DENSITO_PATIENT_MODEL (object);

  g_free (self->matched);
  g_free (self->rows);
  g_free (self->terms);
  g_free (self->perm);
  g_free (self->pos_of);

  G_OBJECT_CLASS (densito_patient_model_parent_class)->finalize (object);
}

static void
densito_patient_model_class_init (DensitoPatientModelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = densito_patient_model_dispose;
  object_class->finalize = densito_patient_model_finalize;
}

static void
densito_patient_model_init (DensitoPatientModel *self)
{
}

DensitoPatientModel *
densito_patient_model_new (DensitoDataset *dataset)
{
  DensitoPatientModel *self;

  g_return_val_if_fail (DENSITO_IS_DATASET (dataset), NULL);

  self = g_object_new (DENSITO_TYPE_PATIENT_MODEL, NULL);
  self->dataset = g_object_ref (dataset);
  self->total = densito_table_get_n_rows (densito_dataset_get_table (dataset));
  self->matched = g_new (guint, MAX (self->total, 1));
  self->rows = g_new (guint, MAX (self->total, 1));
  self->slots = g_new0 (DensitoPatient *, MAX (self->total, 1));
  for (guint i = 0; i < self->total; i++)
    self->matched[i] = self->rows[i] = i;
  self->n_matched = self->n_rows = self->total;
  return self;
}

DensitoDataset *
densito_patient_model_get_dataset (DensitoPatientModel *self)
{
  g_return_val_if_fail (DENSITO_IS_PATIENT_MODEL (self), NULL);
  return self->dataset;
}

guint
densito_patient_model_get_total (DensitoPatientModel *self)
{
  g_return_val_if_fail (DENSITO_IS_PATIENT_MODEL (self), 0);
  return self->total;
}

/* Sort keys */

GType
densito_sort_key_get_type (void)
{
  static gsize type_id = 0;

  if (g_once_init_enter (&type_id))
    {
      static const GEnumValue values[] = {
        { DENSITO_SORT_ID, "DENSITO_SORT_ID", "id" },
        { DENSITO_SORT_SEX, "DENSITO_SORT_SEX", "sex" },
        { DENSITO_SORT_AGE, "DENSITO_SORT_AGE", "age" },
        { DENSITO_SORT_SPINE_T, "DENSITO_SORT_SPINE_T", "spine-t" },
        { DENSITO_SORT_HIP_T, "DENSITO_SORT_HIP_T", "hip-t" },
        { DENSITO_SORT_NECK_T, "DENSITO_SORT_NECK_T", "neck-t" },
        { DENSITO_SORT_CLASS, "DENSITO_SORT_CLASS", "class" },
        { DENSITO_SORT_LABEL, "DENSITO_SORT_LABEL", "label" },
        { DENSITO_SORT_IMAGES, "DENSITO_SORT_IMAGES", "images" },
        { DENSITO_SORT_REVIEW, "DENSITO_SORT_REVIEW", "review" },
        { 0, NULL, NULL },
      };
      GType type = g_enum_register_static (g_intern_static_string ("DensitoSortKey"), values);

      g_once_init_leave (&type_id, type);
    }
  return type_id;
}

static gboolean
orders_by_text (DensitoSortKey key)
{
  return key == DENSITO_SORT_ID || key == DENSITO_SORT_AGE || key == DENSITO_SORT_LABEL;
}

/* Row @row's value for @key: a number (NAN when it has none), or for the
 * keys ordered by text, its text in *text ("" when it has none). */
static double
row_value (DensitoDataset *dataset,
           DensitoSortKey  key,
           guint           row,
           const char    **text,
           char            buf[DENSITO_CELL_BUF])
{
  static const DensitoField t_fields[] = { DENSITO_FIELD_SPINE_T, DENSITO_FIELD_HIP_T, DENSITO_FIELD_NECK_T };
  DensitoTable *table = densito_dataset_get_table (dataset);
  DensitoImageIndex *images = densito_dataset_get_images (dataset);
  guint n, done;
  int c;

  *text = "";
  switch (key)
    {
    case DENSITO_SORT_ID:
      *text = densito_table_get_id (table, row);
      return NAN;
    case DENSITO_SORT_AGE:
    case DENSITO_SORT_LABEL:
      c = densito_table_get_field_column (table, key == DENSITO_SORT_AGE ? DENSITO_FIELD_AGE : DENSITO_FIELD_LABEL);
      if (c >= 0)
        *text = densito_table_get_cell (table, row, (guint)c, buf);
      return NAN;
    case DENSITO_SORT_SEX:
      switch (densito_table_get_sex (table, row))
        {
        case DENSITO_SEX_FEMALE: return 0;
        case DENSITO_SEX_MALE: return 1;
        case DENSITO_SEX_UNKNOWN:
        default: return NAN;
        }
    case DENSITO_SORT_SPINE_T:
    case DENSITO_SORT_HIP_T:
    case DENSITO_SORT_NECK_T:
      {
        double t = densito_table_get_number (table, row, t_fields[key - DENSITO_SORT_SPINE_T]);
        return isfinite (t) ? t : NAN;
      }
    case DENSITO_SORT_CLASS:
      {
        DensitoClass class = densito_table_get_class (table, row, NULL);
        return class == DENSITO_CLASS_MISSING ? NAN : (double)class;
      }
    case DENSITO_SORT_IMAGES:
      return images != NULL ? densito_image_index_count_for_row (images, row) : 0;
    case DENSITO_SORT_REVIEW:
      /* To do, partly, done; no images last. */
      n = densito_dataset_count_row_reviews (dataset, row, &done);
      return n == 0 ? NAN : done == 0 ? 0 : done < n ? 1 : 2;
    default:
      g_return_val_if_reached (NAN);
    }
}

static gboolean
all_digits (const char *s)
{
  if (*s == '\0')
    return FALSE;
  for (; *s != '\0'; s++)
    if (!g_ascii_isdigit (*s))
      return FALSE;
  return TRUE;
}

/* IDs: those that begin with a number first, by that number, then by
 * what follows it (byte order); the others after them, in byte order. A
 * total order, so that every sort agrees with it. Label and age texts as
 * the locale sorts them, case aside. */
static int
compare_texts (DensitoSortKey  key,
               const char     *a,
               const char     *b)
{
  if (key == DENSITO_SORT_ID)
    {
      gboolean da = g_ascii_isdigit (*a), db = g_ascii_isdigit (*b);
      const char *ea = a, *eb = b;
      size_t la, lb;
      int r;

      if (da != db)
        return da ? -1 : 1;
      if (!da)
        return strcmp (a, b);
      while (a[0] == '0' && g_ascii_isdigit (a[1]))
        a++;
      while (b[0] == '0' && g_ascii_isdigit (b[1]))
        b++;
      for (ea = a; g_ascii_isdigit (*ea); ea++)
        ;
      for (eb = b; g_ascii_isdigit (*eb); eb++)
        ;
      la = (size_t)(ea - a);
      lb = (size_t)(eb - b);
      if (la != lb)
        return la < lb ? -1 : 1;
      r = strncmp (a, b, la);
      return r != 0 ? r : strcmp (ea, eb);
    }
  {
    g_autofree char *fa = g_utf8_casefold (a, -1);
    g_autofree char *fb = g_utf8_casefold (b, -1);
    int r = g_utf8_collate (fa, fb);

    return r != 0 ? r : strcmp (a, b);
  }
}

/* Missing values (NAN, "") come last whichever way the list sorts. */
static int
compare_missing (gboolean missing_a,
                 gboolean missing_b)
{
  return missing_a == missing_b ? 0 : missing_a ? 1 : -1;
}

static int
compare_numbers (double   x,
                 double   y,
                 gboolean descending)
{
  int r;

  if (isnan (x) || isnan (y))
    return compare_missing (isnan (x), isnan (y));
  r = (x > y) - (x < y);
  return descending ? -r : r;
}

static int
compare_key (DensitoDataset *dataset,
             DensitoSortKey  key,
             guint           a,
             guint           b,
             gboolean        descending)
{
  char buf_a[DENSITO_CELL_BUF], buf_b[DENSITO_CELL_BUF];
  const char *ta, *tb;
  double x = row_value (dataset, key, a, &ta, buf_a);
  double y = row_value (dataset, key, b, &tb, buf_b);
  int r;

  if (!orders_by_text (key))
    return compare_numbers (x, y, descending);
  if (*ta == '\0' || *tb == '\0')
    return compare_missing (*ta == '\0', *tb == '\0');
  r = compare_texts (key, ta, tb);
  r = (r > 0) - (r < 0);
  return descending ? -r : r;
}

/**
 * densito_patient_model_compare_rows:
 *
 * How the list orders table rows @a and @b by @key, ascending (missing
 * values last); the sort orders the same way.
 *
 * Returns: -1, 0 or 1
 */
int
densito_patient_model_compare_rows (DensitoDataset *dataset,
                                    DensitoSortKey  key,
                                    guint           a,
                                    guint           b)
{
  g_return_val_if_fail (DENSITO_IS_DATASET (dataset), 0);
  return compare_key (dataset, key, a, b, FALSE);
}

static int
compare_text_ptrs (gconstpointer a,
                   gconstpointer b,
                   gpointer      key)
{
  return compare_texts (GPOINTER_TO_INT (key), *(const char * const *)a, *(const char * const *)b);
}

/* Every row's value for @key as a number that sorts as the key does:
 * texts become their rank among the distinct texts. NULL when that does
 * not pay (IDs that are not all numbers, nearly all distinct): the sort
 * then compares the texts themselves. */
static double *
key_values (DensitoDataset *dataset,
            DensitoSortKey  key,
            guint           total)
{
  g_autofree double *values = g_new (double, MAX (total, 1));
  char buf[DENSITO_CELL_BUF];
  const char *text;

  if (!orders_by_text (key))
    {
      for (guint r = 0; r < total; r++)
        values[r] = row_value (dataset, key, r, &text, buf);
      return g_steal_pointer (&values);
    }

  if (key == DENSITO_SORT_ID)
    {
      /* Numbers of up to 15 digits are exact in a double. */
      for (guint r = 0; r < total; r++)
        {
          row_value (dataset, key, r, &text, buf);
          if (!all_digits (text) || strlen (text) > 15)
            return NULL;
          values[r] = g_ascii_strtod (text, NULL);
        }
      return g_steal_pointer (&values);
    }

  {
    g_autoptr(GHashTable) rank = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
    g_autoptr(GPtrArray) distinct = g_ptr_array_new ();
    GHashTableIter iter;
    gpointer k;

    for (guint r = 0; r < total; r++)
      {
        row_value (dataset, key, r, &text, buf);
        if (*text != '\0' && !g_hash_table_contains (rank, text))
          g_hash_table_insert (rank, g_strdup (text), NULL);
      }
    g_hash_table_iter_init (&iter, rank);
    while (g_hash_table_iter_next (&iter, &k, NULL))
      g_ptr_array_add (distinct, k);
    g_ptr_array_sort_with_data (distinct, compare_text_ptrs, GINT_TO_POINTER (key));
    for (guint i = 0; i < distinct->len; i++)
      g_hash_table_insert (rank, g_strdup (distinct->pdata[i]), GUINT_TO_POINTER (i + 1));
    for (guint r = 0; r < total; r++)
      {
        row_value (dataset, key, r, &text, buf);
        values[r] = *text == '\0' ? NAN : (double)GPOINTER_TO_UINT (g_hash_table_lookup (rank, text)) - 1;
      }
  }
  return g_steal_pointer (&values);
}

typedef struct
{
  DensitoPatientModel *self;
  double             **values;   /* per term; NULL: compare texts */
} SortContext;

static int
compare_perm (gconstpointer pa,
              gconstpointer pb,
              gpointer      data)
{
  SortContext *c = data;
  DensitoPatientModel *self = c->self;
  guint a = *(const guint *)pa, b = *(const guint *)pb;

  for (guint t = 0; t < self->n_terms; t++)
    {
      const DensitoSortTerm *term = &self->terms[t];
      int r = c->values[t] != NULL
              ? compare_numbers (c->values[t][a], c->values[t][b], term->descending)
              : compare_key (self->dataset, term->key, a, b, term->descending);

      if (r != 0)
        return r;
    }
  /* Ties keep the table's order. */
  return (a > b) - (a < b);
}

static void
build_perm (DensitoPatientModel *self)
{
  SortContext c = { self, g_new0 (double *, self->n_terms) };

  g_clear_pointer (&self->perm, g_free);
  g_clear_pointer (&self->pos_of, g_free);
  if (self->n_terms == 0)
    {
      g_free (c.values);
      return;
    }
  for (guint t = 0; t < self->n_terms; t++)
    c.values[t] = key_values (self->dataset, self->terms[t].key, self->total);
  self->perm = g_new (guint, MAX (self->total, 1));
  for (guint r = 0; r < self->total; r++)
    self->perm[r] = r;
  g_qsort_with_data (self->perm, (gint)self->total, sizeof (guint), compare_perm, &c);
  self->pos_of = g_new (guint, MAX (self->total, 1));
  for (guint t = 0; t < self->n_terms; t++)
    g_free (c.values[t]);
  g_free (c.values);
}

/* The matching rows in list order. */
static void
order_rows (DensitoPatientModel *self)
{
  g_autofree guint8 *match = NULL;
  guint n = 0;

  self->n_rows = self->n_matched;
  if (self->perm == NULL)
    {
      memcpy (self->rows, self->matched, sizeof (guint) * self->n_matched);
      return;
    }
  match = g_new0 (guint8, MAX (self->total, 1));
  for (guint i = 0; i < self->n_matched; i++)
    match[self->matched[i]] = 1;
  for (guint i = 0; i < self->total; i++)
    {
      guint row = self->perm[i];

      self->pos_of[row] = GTK_INVALID_LIST_POSITION;
      if (match[row])
        {
          self->pos_of[row] = n;
          self->rows[n++] = row;
        }
    }
}

/* Points the slots made so far at their rows, then reports the positions
 * past the shorter of the two lists. A slot past the old end may still be
 * in the list view, as a vacant row (densito_patient_model_vacate()): it
 * is pointed at its row too. */
static void
rows_changed (DensitoPatientModel *self,
              guint                old)
{
  guint common = MIN (old, self->n_rows);

  for (guint i = 0; i < MIN (self->n_rows, self->n_made); i++)
    if (self->slots[i] != NULL)
      densito_patient_set_row (self->slots[i], self->rows[i]);
  if (old != self->n_rows)
    g_list_model_items_changed (G_LIST_MODEL (self), common, old - common, self->n_rows - common);
}

/**
 * densito_patient_model_set_sort:
 * @terms: (array length=n_terms): the keys, the first deciding first
 *
 * Sorts the list (no terms: table order). Ties keep the table's order;
 * missing values come last either way.
 */
void
densito_patient_model_set_sort (DensitoPatientModel   *self,
                                const DensitoSortTerm *terms,
                                guint                  n_terms)
{
  g_return_if_fail (DENSITO_IS_PATIENT_MODEL (self));

  if (n_terms == self->n_terms &&
      (n_terms == 0 || memcmp (terms, self->terms, sizeof (DensitoSortTerm) * n_terms) == 0))
    return;
  g_free (self->terms);
  self->terms = g_memdup2 (terms, sizeof (DensitoSortTerm) * MAX (n_terms, 1));
  self->n_terms = n_terms;
  build_perm (self);
  order_rows (self);
  rows_changed (self, self->n_rows);
}

/**
 * densito_patient_model_set_query:
 * @query: (nullable): %NULL shows every patient
 */
void
densito_patient_model_set_query (DensitoPatientModel *self,
                                 DensitoQuery        *query)
{
  densito_patient_model_set_query_full (self, query, NULL, NULL);
}

/**
 * densito_patient_model_vacate:
 * @start: a list position
 * @end: one past the last
 *
 * Marks the slots from @start to @end that lie past the list's end as
 * vacant (densito_patient_set_vacant()): a view that keeps their rows for
 * a moment shows them empty.
 */
void
densito_patient_model_vacate (DensitoPatientModel *self,
                              guint                start,
                              guint                end)
{
  g_return_if_fail (DENSITO_IS_PATIENT_MODEL (self));

  for (guint i = MAX (start, self->n_rows); i < MIN (end, self->n_made); i++)
    if (self->slots[i] != NULL)
      densito_patient_set_vacant (self->slots[i]);
}

/**
 * densito_patient_model_dup_slot:
 * @position: a list position, past the list's end or not
 *
 * The item at @position as g_list_model_get_item() gives it, or, past the
 * list's end, the slot there, vacant.
 *
 * Returns: (transfer full) (nullable): the item; %NULL past the table's
 *   count
 */
DensitoPatient *
densito_patient_model_dup_slot (DensitoPatientModel *self,
                                guint                position)
{
  g_return_val_if_fail (DENSITO_IS_PATIENT_MODEL (self), NULL);

  if (position < self->n_rows)
    return g_list_model_get_item (G_LIST_MODEL (self), position);
  if (position >= self->total)
    return NULL;
  if (self->slots[position] == NULL)
    {
      self->slots[position] = densito_patient_new (self->dataset, 0);
      self->n_made = MAX (self->n_made, position + 1);
    }
  densito_patient_set_vacant (self->slots[position]);
  return g_object_ref (self->slots[position]);
}

/**
 * densito_patient_model_set_query_full:
 * @query: (nullable): %NULL shows every patient
 * @before: (nullable): called when the list is about to change (not when
 *   the new query gives the same rows), while its items and count still
 *   read as before (densito_patient_model_find_row() may not)
 */
void
densito_patient_model_set_query_full (DensitoPatientModel *self,
                                      DensitoQuery        *query,
                                      GFunc                before,
                                      gpointer             data)
{
  g_autofree guint *old_rows = NULL;
  guint old = self->n_rows;

  g_return_if_fail (DENSITO_IS_PATIENT_MODEL (self));

  old_rows = g_memdup2 (self->rows, sizeof (guint) * MAX (old, 1));
  if (query == NULL)
    {
      for (guint i = 0; i < self->total; i++)
        self->matched[i] = i;
      self->n_matched = self->total;
    }
  else
    self->n_matched = densito_query_filter_dataset (query, self->dataset, self->matched);
  order_rows (self);

  /* Typing often changes the text but not the result ("sex=F " while the
   * next term is begun): then the list view has nothing to redo. */
  if (self->n_rows == old && memcmp (old_rows, self->rows, sizeof (guint) * old) == 0)
    return;

  if (before != NULL)
    {
      guint n = self->n_rows;
      g_autofree guint *new_rows = g_memdup2 (self->rows, sizeof (guint) * MAX (n, 1));

      memcpy (self->rows, old_rows, sizeof (guint) * old);
      self->n_rows = old;
      before (self, data);
      memcpy (self->rows, new_rows, sizeof (guint) * n);
      self->n_rows = n;
    }
  rows_changed (self, old);
}

/**
 * densito_patient_model_resort:
 *
 * Sorts again after the review states were read (a dataset's sidecars
 * are read after it opens).
 *
 * Returns: whether the order may have changed
 */
gboolean
densito_patient_model_resort (DensitoPatientModel *self)
{
  gboolean by_review = FALSE;

  g_return_val_if_fail (DENSITO_IS_PATIENT_MODEL (self), FALSE);

  for (guint t = 0; t < self->n_terms; t++)
    by_review |= self->terms[t].key == DENSITO_SORT_REVIEW;
  if (!by_review)
    return FALSE;
  build_perm (self);
  order_rows (self);
  rows_changed (self, self->n_rows);
  return TRUE;
}

/* Every row again, after facts outside the table changed (review states).
 * The order stays as it is, even sorted by review: a patient just
 * reviewed does not jump away under the pointer; clicking the title sorts
 * again. */
void
densito_patient_model_refresh (DensitoPatientModel *self)
{
  g_return_if_fail (DENSITO_IS_PATIENT_MODEL (self));

  for (guint i = 0; i < self->n_rows; i++)
    if (self->slots[i] != NULL)
      densito_patient_changed (self->slots[i]);
}

/**
 * densito_patient_model_find_row:
 *
 * Returns: the list position of table row @row, or
 *   %GTK_INVALID_LIST_POSITION when the query leaves it out.
 */
guint
densito_patient_model_find_row (DensitoPatientModel *self,
                                guint                row)
{
  guint lo = 0, hi;

  g_return_val_if_fail (DENSITO_IS_PATIENT_MODEL (self), GTK_INVALID_LIST_POSITION);

  if (row >= self->total)
    return GTK_INVALID_LIST_POSITION;
  if (self->pos_of != NULL)
    return self->pos_of[row];
  hi = self->n_rows;
  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;

      if (self->rows[mid] < row)
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo < self->n_rows && self->rows[lo] == row ? lo : GTK_INVALID_LIST_POSITION;
}
