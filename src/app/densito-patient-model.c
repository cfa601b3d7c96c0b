/* densito-patient-model.c
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The patients that match the current query, as a GListModel. The core's
 * filter gives the matching rows as an array. Items are slots, one per
 * list position, made on first use and kept: a refilter points the slots
 * at their new rows (each emits DensitoPatient::changed, and its bound
 * cells set their new text) and reports only the positions that appear or
 * vanish at the end. GTK 4.8's list view rebuilds the row widgets of every
 * item it has not seen (about 200 rows of cells, 60 ms and more here),
 * which one object per patient could not avoid whenever the rows on
 * screen change.
 *
 * While the view sorts, the order depends on what the slots show, so a
 * refilter then reports every position as changed and the sort model
 * sorts again.
 */
#include "config.h"

#include <string.h>

#include "densito-patient-model.h"

struct _DensitoPatientModel
{
  GObject          parent_instance;
  DensitoDataset  *dataset;
  GtkSorter       *sorter;    /* the view's, or NULL */
  guint           *rows;      /* matching rows, in table order */
  guint            n_rows;
  DensitoPatient **slots;     /* per list position, made lazily */
  guint            total;
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
    self->slots[position] = densito_patient_new (self->dataset, row);
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
  g_clear_object (&self->sorter);
  g_clear_object (&self->dataset);

  G_OBJECT_CLASS (densito_patient_model_parent_class)->dispose (object);
}

static void
densito_patient_model_finalize (GObject *object)
{
  DensitoPatientModel *self = DENSITO_PATIENT_MODEL (object);

  g_free (self->rows);

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
  self->rows = g_new (guint, MAX (self->total, 1));
  self->slots = g_new0 (DensitoPatient *, MAX (self->total, 1));
  for (guint i = 0; i < self->total; i++)
    self->rows[i] = i;
  self->n_rows = self->total;
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

/**
 * densito_patient_model_set_sorter:
 * @sorter: (nullable): the sorter of the sort model over this one
 *
 * While @sorter sorts, a refilter reports every position as changed.
 */
void
densito_patient_model_set_sorter (DensitoPatientModel *self,
                                  GtkSorter           *sorter)
{
  g_return_if_fail (DENSITO_IS_PATIENT_MODEL (self));

  g_set_object (&self->sorter, sorter);
}

static gboolean
sorted (DensitoPatientModel *self)
{
  return self->sorter != NULL && gtk_sorter_get_order (self->sorter) != GTK_SORTER_ORDER_NONE;
}

/* Points the slots made so far at their rows, then reports the change:
 * the positions past the shorter of the two lists, or every one while
 * sorted. */
static void
rows_changed (DensitoPatientModel *self,
              guint                old)
{
  guint common = MIN (old, self->n_rows);

  for (guint i = 0; i < common; i++)
    if (self->slots[i] != NULL)
      densito_patient_set_row (self->slots[i], self->rows[i]);
  if (sorted (self))
    g_list_model_items_changed (G_LIST_MODEL (self), 0, old, self->n_rows);
  else if (old != self->n_rows)
    g_list_model_items_changed (G_LIST_MODEL (self), common, old - common, self->n_rows - common);
}

/**
 * densito_patient_model_set_query:
 * @query: (nullable): %NULL shows every patient
 */
void
densito_patient_model_set_query (DensitoPatientModel *self,
                                 DensitoQuery        *query)
{
  g_autofree guint *old_rows = NULL;
  guint old = self->n_rows;

  g_return_if_fail (DENSITO_IS_PATIENT_MODEL (self));

  old_rows = g_memdup2 (self->rows, sizeof (guint) * MAX (old, 1));
  if (query == NULL)
    {
      for (guint i = 0; i < self->total; i++)
        self->rows[i] = i;
      self->n_rows = self->total;
    }
  else
    self->n_rows = densito_query_filter_dataset (query, self->dataset, self->rows);

  /* Typing often changes the text but not the result ("sex=F " while the
   * next term is begun): then the list view has nothing to redo. */
  if (self->n_rows == old && memcmp (old_rows, self->rows, sizeof (guint) * old) == 0)
    return;

  rows_changed (self, old);
}

/* Every row again, after facts outside the table changed (review states). */
void
densito_patient_model_refresh (DensitoPatientModel *self)
{
  g_return_if_fail (DENSITO_IS_PATIENT_MODEL (self));

  for (guint i = 0; i < self->n_rows; i++)
    if (self->slots[i] != NULL)
      densito_patient_changed (self->slots[i]);
  if (sorted (self))
    g_list_model_items_changed (G_LIST_MODEL (self), 0, self->n_rows, self->n_rows);
}

/**
 * densito_patient_model_find_row:
 *
 * Returns: the position of table row @row in this (unsorted) model, or
 *   %GTK_INVALID_LIST_POSITION when the query leaves it out.
 */
guint
densito_patient_model_find_row (DensitoPatientModel *self,
                                guint                row)
{
  guint lo = 0, hi;

  g_return_val_if_fail (DENSITO_IS_PATIENT_MODEL (self), GTK_INVALID_LIST_POSITION);

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
