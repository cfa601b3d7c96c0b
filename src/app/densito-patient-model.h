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

#define DENSITO_TYPE_PATIENT_MODEL (densito_patient_model_get_type ())

G_DECLARE_FINAL_TYPE (DensitoPatientModel, densito_patient_model, DENSITO, PATIENT_MODEL, GObject)

DensitoPatientModel *densito_patient_model_new         (DensitoDataset      *dataset);
DensitoDataset      *densito_patient_model_get_dataset (DensitoPatientModel *self);
void                 densito_patient_model_set_query   (DensitoPatientModel *self,
                                                        DensitoQuery        *query);
guint                densito_patient_model_get_total   (DensitoPatientModel *self);
void                 densito_patient_model_refresh     (DensitoPatientModel *self);
void                 densito_patient_model_set_sorter  (DensitoPatientModel *self,
                                                        GtkSorter           *sorter);
guint                densito_patient_model_find_row    (DensitoPatientModel *self,
                                                        guint                row);

G_END_DECLS
