/* densito-column-sorter.c
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The sorter of one column of the patient list. The column view combines
 * the columns' sorters into its own, which keeps what the user clicked:
 * which columns sort, in what priority, which way. GTK 4.8 has no API to
 * read that back (GtkColumnViewSorter's is 4.10), and the list does not
 * sort through it (see densito-patient-model.c), so
 * densito_column_sorter_read_view() asks it with probes: objects that our
 * column sorters answer for as the probe says, so that the view sorter's
 * answer tells whether, how and before which other column a column sorts.
 */
#include "config.h"

#include "densito-column-sorter.h"

struct _DensitoColumnSorter
{
  GtkSorter      parent_instance;
  DensitoSortKey key;
};

G_DEFINE_FINAL_TYPE (DensitoColumnSorter, densito_column_sorter, GTK_TYPE_SORTER)

enum {
  PROP_0,
  PROP_KEY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* A probe: what each column sorter answers when it compares it with
 * another probe. */
#define DENSITO_TYPE_SORT_PROBE (densito_sort_probe_get_type ())
G_DECLARE_FINAL_TYPE (DensitoSortProbe, densito_sort_probe, DENSITO, SORT_PROBE, GObject)

struct _DensitoSortProbe
{
  GObject     parent_instance;
  GtkOrdering answer[DENSITO_N_SORT_KEYS];
};

G_DEFINE_FINAL_TYPE (DensitoSortProbe, densito_sort_probe, G_TYPE_OBJECT)

static void
densito_sort_probe_class_init (DensitoSortProbeClass *klass)
{
}

static void
densito_sort_probe_init (DensitoSortProbe *self)
{
}

static GtkOrdering
densito_column_sorter_compare (GtkSorter *sorter,
                               gpointer   item1,
                               gpointer   item2)
{
  DensitoColumnSorter *self = DENSITO_COLUMN_SORTER (sorter);

  if (DENSITO_IS_SORT_PROBE (item1))
    return DENSITO_SORT_PROBE (item1)->answer[self->key];
  if (DENSITO_IS_PATIENT (item1) && DENSITO_IS_PATIENT (item2))
    return gtk_ordering_from_cmpfunc (densito_patient_model_compare_rows (densito_patient_get_dataset (item1), self->key,
                                                                           densito_patient_get_row (item1),
                                                                           densito_patient_get_row (item2)));
  return GTK_ORDERING_EQUAL;
}

static GtkSorterOrder
densito_column_sorter_get_order (GtkSorter *sorter)
{
  return GTK_SORTER_ORDER_PARTIAL;
}

static void
densito_column_sorter_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  DensitoColumnSorter *self = DENSITO_COLUMN_SORTER (object);

  switch (prop_id)
    {
    case PROP_KEY:
      g_value_set_enum (value, self->key);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
densito_column_sorter_set_property (GObject      *object,
                                    guint         prop_id,
                                    const GValue *value,
                                    GParamSpec   *pspec)
{
  DensitoColumnSorter *self = DENSITO_COLUMN_SORTER (object);

  switch (prop_id)
    {
    case PROP_KEY:
      self->key = g_value_get_enum (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
densito_column_sorter_class_init (DensitoColumnSorterClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkSorterClass *sorter_class = GTK_SORTER_CLASS (klass);

  object_class->get_property = densito_column_sorter_get_property;
  object_class->set_property = densito_column_sorter_set_property;
  sorter_class->compare = densito_column_sorter_compare;
  sorter_class->get_order = densito_column_sorter_get_order;

  properties[PROP_KEY] = g_param_spec_enum ("key", NULL, NULL, DENSITO_TYPE_SORT_KEY, DENSITO_SORT_ID,
                                            G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                                            G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
densito_column_sorter_init (DensitoColumnSorter *self)
{
}

DensitoColumnSorter *
densito_column_sorter_new (DensitoSortKey key)
{
  return g_object_new (DENSITO_TYPE_COLUMN_SORTER, "key", key, NULL);
}

DensitoSortKey
densito_column_sorter_get_key (DensitoColumnSorter *self)
{
  g_return_val_if_fail (DENSITO_IS_COLUMN_SORTER (self), DENSITO_SORT_ID);
  return self->key;
}

/* What the view sorter answers when the columns of @key1 (and @key2, if
 * not -1) answer as told. */
static GtkOrdering
ask (GtkSorter   *view_sorter,
     int          key1,
     GtkOrdering  answer1,
     int          key2,
     GtkOrdering  answer2)
{
  g_autoptr(DensitoSortProbe) a = g_object_new (DENSITO_TYPE_SORT_PROBE, NULL);
  g_autoptr(DensitoSortProbe) b = g_object_new (DENSITO_TYPE_SORT_PROBE, NULL);

  a->answer[key1] = answer1;
  if (key2 >= 0)
    a->answer[key2] = answer2;
  return gtk_sorter_compare (view_sorter, a, b);
}

/**
 * densito_column_sorter_read_view:
 * @view_sorter: the column view's sorter, over DensitoColumnSorters
 * @terms: (out caller-allocates): the sort, deciding term first
 *
 * Returns: how many columns sort (0: table order)
 */
guint
densito_column_sorter_read_view (GtkSorter       *view_sorter,
                                 DensitoSortTerm  terms[DENSITO_N_SORT_KEYS])
{
  guint n = 0;

  g_return_val_if_fail (GTK_IS_SORTER (view_sorter), 0);

  /* Which columns sort, and which way: a column that sorts passes its
   * answer on, turned round when it sorts descending. */
  for (int k = 0; k < DENSITO_N_SORT_KEYS; k++)
    {
      GtkOrdering r = ask (view_sorter, k, GTK_ORDERING_SMALLER, -1, GTK_ORDERING_EQUAL);

      if (r != GTK_ORDERING_EQUAL)
        terms[n++] = (DensitoSortTerm) { k, r == GTK_ORDERING_LARGER };
    }

  /* Their priority: of two columns that disagree, the one asked first
   * decides (insertion sort; there are at most ten). */
  for (guint i = 1; i < n; i++)
    for (guint j = i; j > 0; j--)
      {
        DensitoSortTerm *earlier = &terms[j - 1], *later = &terms[j], swap;
        /* Answers that come out as SMALLER from `later`, LARGER from `earlier`. */
        GtkOrdering r = ask (view_sorter,
                             later->key, later->descending ? GTK_ORDERING_LARGER : GTK_ORDERING_SMALLER,
                             earlier->key, earlier->descending ? GTK_ORDERING_SMALLER : GTK_ORDERING_LARGER);

        if (r != GTK_ORDERING_SMALLER)
          break;
        swap = *earlier;
        *earlier = *later;
        *later = swap;
      }
  return n;
}
