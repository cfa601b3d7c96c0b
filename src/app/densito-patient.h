/* densito-patient.h
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

#include "densito-dataset.h"

G_BEGIN_DECLS

#define DENSITO_TYPE_PATIENT (densito_patient_get_type ())

G_DECLARE_FINAL_TYPE (DensitoPatient, densito_patient, DENSITO, PATIENT, GObject)

DensitoPatient *densito_patient_new         (DensitoDataset *dataset,
                                             guint           row);
guint           densito_patient_get_row     (DensitoPatient *self);
void            densito_patient_set_row     (DensitoPatient *self,
                                             guint           row);
void            densito_patient_changed     (DensitoPatient *self);
DensitoDataset *densito_patient_get_dataset (DensitoPatient *self);
const char     *densito_patient_get_id      (DensitoPatient *self);

G_END_DECLS
