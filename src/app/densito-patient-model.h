/* densito-patient-model.h
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "densito-dataset.h"
#include "densito-patient.h"
#include "densito-query.h"

G_BEGIN_DECLS

/* What the list's columns sort by. */
typedef enum
{
  DENSITO_SORT_ID,
  DENSITO_SORT_SEX,
  DENSITO_SORT_AGE,
  DENSITO_SORT_SPINE_T,
  DENSITO_SORT_HIP_T,
  DENSITO_SORT_NECK_T,
  DENSITO_SORT_CLASS,
  DENSITO_SORT_LABEL,
  DENSITO_SORT_IMAGES,
  DENSITO_SORT_REVIEW,
} DensitoSortKey;

#define DENSITO_N_SORT_KEYS (DENSITO_SORT_REVIEW + 1)

#define DENSITO_TYPE_SORT_KEY (densito_sort_key_get_type ())
GType densito_sort_key_get_type (void) G_GNUC_CONST;

typedef struct
{
  DensitoSortKey key;
  gboolean       descending;
} DensitoSortTerm;

#define DENSITO_TYPE_PATIENT_MODEL (densito_patient_model_get_type ())

G_DECLARE_FINAL_TYPE (DensitoPatientModel, densito_patient_model, DENSITO, PATIENT_MODEL, GObject)

DensitoPatientModel *densito_patient_model_new         (DensitoDataset        *dataset);
DensitoDataset      *densito_patient_model_get_dataset (DensitoPatientModel   *self);
void                 densito_patient_model_set_query   (DensitoPatientModel   *self,
                                                        DensitoQuery          *query);
void                 densito_patient_model_set_query_full (DensitoPatientModel *self,
                                                           DensitoQuery        *query,
                                                           GFunc                before,
                                                           gpointer             data);
guint                densito_patient_model_get_total   (DensitoPatientModel   *self);
void                 densito_patient_model_vacate      (DensitoPatientModel   *self,
                                                        guint                  start,
                                                        guint                  end);
DensitoPatient      *densito_patient_model_dup_slot    (DensitoPatientModel   *self,
                                                        guint                  position);
void                 densito_patient_model_refresh     (DensitoPatientModel   *self);
gboolean             densito_patient_model_resort      (DensitoPatientModel   *self);
void                 densito_patient_model_set_sort    (DensitoPatientModel   *self,
                                                        const DensitoSortTerm *terms,
                                                        guint                  n_terms);
guint                densito_patient_model_find_row    (DensitoPatientModel   *self,
                                                        guint                  row);
int                  densito_patient_model_compare_rows (DensitoDataset       *dataset,
                                                        DensitoSortKey         key,
                                                        guint                  a,
                                                        guint                  b);

G_END_DECLS
