/* densito-image-index.h
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "densito-diagnostics.h"
#include "densito-error.h"
#include "densito-table.h"

G_BEGIN_DECLS

typedef enum
{
  DENSITO_REGION_UNKNOWN = 0,
  DENSITO_REGION_HIP,
  DENSITO_REGION_SPINE,
  DENSITO_REGION_FOREARM,
  DENSITO_REGION_LATERAL,
} DensitoRegion;

typedef enum
{
  DENSITO_IMAGE_OK = 0,
  DENSITO_IMAGE_UNREADABLE,
} DensitoImageStatus;

/* The frame size of lateral spine (VFA) images in the Arak release. */
#define DENSITO_LATERAL_WIDTH 376
#define DENSITO_LATERAL_HEIGHT 1104

typedef struct
{
  char               *name;        /* file name, in the file system's encoding */
  char               *path;
  char               *id;          /* the patient ID part of the name */
  int                 suffix;      /* the n of <ID>-<n>, or -1 */
  DensitoRegion       region;
  guint               width;
  guint               height;
  int                 row;         /* linked patient row, or -1 */
  DensitoImageStatus  status;
  char               *problem;     /* why it is unreadable, or NULL */
  gboolean            personal_id; /* the name may be a national ID number */
} DensitoImage;

typedef struct
{
  guint total;
  guint linked;
  guint unlinked;
  guint unreadable;
  guint possible_personal_id;
} DensitoImageCounts;

#define DENSITO_TYPE_IMAGE_INDEX (densito_image_index_get_type ())

G_DECLARE_FINAL_TYPE (DensitoImageIndex, densito_image_index, DENSITO, IMAGE_INDEX, GObject)

DensitoImageIndex  *densito_image_index_scan          (const char          *directory,
                                                       DensitoTable        *table,
                                                       DensitoDiagnostics  *diagnostics,
                                                       GCancellable        *cancellable,
                                                       GError             **error);
const char         *densito_image_index_get_directory (DensitoImageIndex   *self);
guint               densito_image_index_get_n_images  (DensitoImageIndex   *self);
const DensitoImage *densito_image_index_get_image     (DensitoImageIndex   *self,
                                                       guint                i);
const guint        *densito_image_index_get_for_row   (DensitoImageIndex   *self,
                                                       guint                row,
                                                       guint               *n_images);
guint               densito_image_index_count_for_row (DensitoImageIndex   *self,
                                                       guint                row);
void                densito_image_index_get_counts    (DensitoImageIndex   *self,
                                                       DensitoImageCounts  *counts);

gboolean            densito_image_name_parse          (const char          *name,
                                                       char               **id,
                                                       int                 *suffix);
DensitoRegion       densito_region_guess              (int                  suffix,
                                                       guint                width,
                                                       guint                height);
gboolean            densito_image_read_header         (const char          *path,
                                                       guint               *width,
                                                       guint               *height,
                                                       char               **problem);
gboolean            densito_is_image_name             (const char          *name);
const char         *densito_region_to_string          (DensitoRegion        region);
const char         *densito_region_display_name       (DensitoRegion        region);

G_END_DECLS
