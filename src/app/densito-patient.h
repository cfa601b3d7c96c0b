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

/* The texts the patient list shows, one per column. */
typedef enum
{
  DENSITO_PATIENT_TEXT_ID,
  DENSITO_PATIENT_TEXT_SEX,
  DENSITO_PATIENT_TEXT_AGE_GROUP,
  DENSITO_PATIENT_TEXT_SPINE_T,
  DENSITO_PATIENT_TEXT_HIP_T,
  DENSITO_PATIENT_TEXT_NECK_T,
  DENSITO_PATIENT_TEXT_WHO_CLASS,
  DENSITO_PATIENT_TEXT_LABEL,
  DENSITO_PATIENT_TEXT_IMAGES,
  DENSITO_PATIENT_TEXT_REVIEW,
} DensitoPatientText;

/* At least DENSITO_CELL_BUF and DENSITO_TSCORE_BUF. */
#define DENSITO_PATIENT_TEXT_BUF 352

DensitoPatient *densito_patient_new         (DensitoDataset *dataset,
                                             guint           row);
guint           densito_patient_get_row     (DensitoPatient *self);
void            densito_patient_set_row     (DensitoPatient *self,
                                             guint           row);
void            densito_patient_changed     (DensitoPatient *self);
void            densito_patient_set_vacant  (DensitoPatient *self);
gboolean        densito_patient_get_vacant  (DensitoPatient *self);
DensitoDataset *densito_patient_get_dataset (DensitoPatient *self);
const char     *densito_patient_get_id      (DensitoPatient *self);
const char     *densito_patient_get_text    (DensitoPatient     *self,
                                             DensitoPatientText  text,
                                             char                buf[DENSITO_PATIENT_TEXT_BUF]);
DensitoClass    densito_patient_get_site_class (DensitoPatient *self,
                                                DensitoSite     site);
gboolean        densito_patient_get_label_disagrees (DensitoPatient *self);
gboolean             densito_patient_get_class_not_applicable (DensitoPatient *self);
gboolean             densito_patient_get_site_unreadable (DensitoPatient *self,
                                                          DensitoSite     site);

G_END_DECLS
