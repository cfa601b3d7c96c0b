/* densito-vocabulary.c
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The ROI vocabulary, per region, in this one table: the ids that
 * sidecars store and their translatable display names. It is a C table
 * rather than a JSON or key file so that xgettext finds the names without
 * extra tooling. Labels outside it are allowed and kept as they are.
 *
 * Conventions (ISCD DXA atlas): lumbar spine L1-L4 numbered bottom up
 * from the iliac crest; proximal femur total hip, femoral neck box across
 * the neck, Ward's area, trochanter and intertrochanter; forearm regions
 * placed by fractions of the ulna length.
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "densito-vocabulary.h"

static const DensitoRoiLabel vocabulary[] = {
  { "L1", N_("L1 vertebra"), DENSITO_REGION_SPINE },
  { "L2", N_("L2 vertebra"), DENSITO_REGION_SPINE },
  { "L3", N_("L3 vertebra"), DENSITO_REGION_SPINE },
  { "L4", N_("L4 vertebra"), DENSITO_REGION_SPINE },
  { "neck", N_("Femoral neck"), DENSITO_REGION_HIP },
  { "trochanter", N_("Trochanter"), DENSITO_REGION_HIP },
  { "intertrochanter", N_("Intertrochanter"), DENSITO_REGION_HIP },
  { "wards", N_("Ward’s area"), DENSITO_REGION_HIP },
  { "total_hip", N_("Total hip"), DENSITO_REGION_HIP },
  { "radius_33", N_("Radius 33% (one-third)"), DENSITO_REGION_FOREARM },
  { "radius_mid", N_("Radius mid"), DENSITO_REGION_FOREARM },
  { "radius_ud", N_("Radius ultradistal"), DENSITO_REGION_FOREARM },
};

const DensitoRoiLabel *
densito_vocabulary_get (guint *n_labels)
{
  *n_labels = G_N_ELEMENTS (vocabulary);
  return vocabulary;
}

/**
 * densito_vocabulary_for_region:
 * @labels: (out caller-allocates): room for @max pointers
 *
 * The labels of one region; for a lateral spine image those of the spine,
 * and for an unknown region all of them.
 *
 * Returns: how many were written
 */
guint
densito_vocabulary_for_region (DensitoRegion           region,
                               const DensitoRoiLabel **labels,
                               guint                   max)
{
  guint n = 0;

  if (region == DENSITO_REGION_LATERAL)
    region = DENSITO_REGION_SPINE;

  for (guint i = 0; i < G_N_ELEMENTS (vocabulary) && n < max; i++)
    if (region == DENSITO_REGION_UNKNOWN || vocabulary[i].region == region)
      labels[n++] = &vocabulary[i];
  return n;
}

const DensitoRoiLabel *
densito_vocabulary_lookup (const char *id)
{
  g_return_val_if_fail (id != NULL, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (vocabulary); i++)
    if (strcmp (vocabulary[i].id, id) == 0)
      return &vocabulary[i];
  return NULL;
}

/* A free label is its own display name. */
const char *
densito_roi_label_display_name (const char *id)
{
  const DensitoRoiLabel *label = densito_vocabulary_lookup (id);

  return label ? _(label->name) : id;
}
