/* densito-patient-model.c
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The patients that match the current query, as a GListModel. The core's
 * filter gives the matching rows as an array; items are made on first
 * use and kept, one per patient, so a refilter is one items-changed and
 * no cell is rebuilt for a patient that stays visible.
 */
#include "config.h"

#include <string.h>

#include "densito-patient-model.h"

struct _DensitoPatientModel
{
  GObject          parent_instance;
  DensitoDataset  *dataset;
  guint           *rows;      /* matching rows, in table order */
  guint            n_rows;
  DensitoPatient **items;     /* per table row, made lazily */
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
  if (self->items[row] == NULL)
    self->items[row] = densito_patient_new (self->dataset, row);
  return g_object_ref (self->items[row]);
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

  if (self->items != NULL)
    {
      for (guint i = 0; i < self->total; i++)
        g_clear_object (&self->items[i]);
      g_clear_pointer (&self->items, g_free);
    }
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
  self->items = g_new0 (DensitoPatient *, MAX (self->total, 1));
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

  g_list_model_items_changed (G_LIST_MODEL (self), 0, old, self->n_rows);
}

/* Every row again, after facts outside the table changed (review states). */
void
densito_patient_model_refresh (DensitoPatientModel *self)
{
  g_return_if_fail (DENSITO_IS_PATIENT_MODEL (self));

  g_list_model_items_changed (G_LIST_MODEL (self), 0, self->n_rows, self->n_rows);
}
