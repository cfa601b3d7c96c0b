/* densito-vocabulary.h
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "densito-image-index.h"

G_BEGIN_DECLS

typedef struct
{
  const char    *id;       /* what the sidecar stores: L1, neck, radius_33, ... */
  const char    *name;     /* untranslated display name; use densito_roi_label_display_name() */
  DensitoRegion  region;
} DensitoRoiLabel;

const DensitoRoiLabel *densito_vocabulary_get               (guint         *n_labels);
guint                  densito_vocabulary_for_region        (DensitoRegion  region,
                                                             const DensitoRoiLabel **labels,
                                                             guint          max);
const DensitoRoiLabel *densito_vocabulary_lookup            (const char    *id);
const char            *densito_roi_label_display_name       (const char    *id);

G_END_DECLS
