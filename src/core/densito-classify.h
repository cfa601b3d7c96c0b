/* densito-classify.h
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "densito-values.h"

G_BEGIN_DECLS

typedef enum
{
  DENSITO_SITE_SPINE = 0,
  DENSITO_SITE_HIP,
  DENSITO_SITE_NECK,
  DENSITO_N_SITES,
  DENSITO_SITE_NONE = 0xff,
} DensitoSite;

typedef enum
{
  DENSITO_APPLICABLE_UNKNOWN = 0,
  DENSITO_APPLICABLE_YES,
  DENSITO_APPLICABLE_NO,
} DensitoApplicability;

typedef enum
{
  DENSITO_REASON_NONE = 0,
  DENSITO_REASON_MALE_UNDER_50,
  DENSITO_REASON_PREMENOPAUSAL,
  DENSITO_REASON_SEX_MISSING,
  DENSITO_REASON_AGE_MISSING,
  DENSITO_REASON_AGE_STRADDLES_50,
  DENSITO_REASON_MENOPAUSE_MISSING,
} DensitoReason;

typedef enum
{
  DENSITO_AGREES_UNKNOWN = 0,
  DENSITO_AGREES_YES,
  DENSITO_AGREES_NO,
} DensitoAgreement;

/* BMI may differ from weight / height^2 by this much before it is flagged. */
#define DENSITO_BMI_TOLERANCE 0.5

int                  densito_tscore_tenths          (double        t);
DensitoClass         densito_classify_tscore        (double        t);
DensitoClass         densito_classify_worst         (const double  t[DENSITO_N_SITES],
                                                     DensitoSite  *deciding_site);
DensitoApplicability densito_classify_applicability (DensitoSex    sex,
                                                     DensitoRange  age,
                                                     gboolean      have_menopause_column,
                                                     DensitoRange  menopause,
                                                     DensitoReason *reason);
DensitoAgreement     densito_classify_agreement     (DensitoClass  computed,
                                                     DensitoClass  label);
double               densito_compute_bmi            (double        weight_kg,
                                                     double        height_cm);

const char          *densito_class_to_string        (DensitoClass  klass);
const char          *densito_class_display_name     (DensitoClass  klass);
const char          *densito_site_to_string         (DensitoSite   site);
const char          *densito_site_display_name      (DensitoSite   site);
const char          *densito_applicability_to_string (DensitoApplicability a);
const char          *densito_reason_message         (DensitoReason reason);
const char          *densito_agreement_to_string    (DensitoAgreement a);
const char          *densito_sex_to_string          (DensitoSex    sex);

G_END_DECLS
