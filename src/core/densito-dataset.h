/* densito-dataset.h
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "densito-diagnostics.h"
#include "densito-image-index.h"
#include "densito-sidecar.h"
#include "densito-table.h"

G_BEGIN_DECLS

typedef enum
{
  DENSITO_DATASET_OPEN_DEFAULT = 0,
  /* Do not read the sidecars; see densito_dataset_read_annotations_async(). */
  DENSITO_DATASET_OPEN_DEFER_ANNOTATIONS = 1 << 0,
} DensitoDatasetOpenFlags;

#define DENSITO_TYPE_DATASET (densito_dataset_get_type ())

G_DECLARE_FINAL_TYPE (DensitoDataset, densito_dataset, DENSITO, DATASET, GObject)

DensitoDataset     *densito_dataset_open                (const char          *path,
                                                         const char          *images_dir,
                                                         GCancellable        *cancellable,
                                                         DensitoProgressFunc  progress,
                                                         gpointer             progress_data,
                                                         GError             **error);
void                densito_dataset_open_async          (const char          *path,
                                                         const char          *images_dir,
                                                         DensitoDatasetOpenFlags flags,
                                                         GCancellable        *cancellable,
                                                         DensitoProgressFunc  progress,
                                                         gpointer             progress_data,
                                                         GAsyncReadyCallback  callback,
                                                         gpointer             user_data);
DensitoDataset     *densito_dataset_open_finish         (GAsyncResult        *result,
                                                         GError             **error);
const char         *densito_dataset_get_path            (DensitoDataset      *self);
DensitoTable       *densito_dataset_get_table           (DensitoDataset      *self);
DensitoImageIndex  *densito_dataset_get_images          (DensitoDataset      *self);
DensitoDiagnostics *densito_dataset_get_diagnostics     (DensitoDataset      *self);

typedef struct
{
  guint with_sidecar;                 /* images with a sidecar file */
  guint rois;                         /* shapes in all sidecars */
  guint broken;                       /* sidecars that could not be read */
  guint review[DENSITO_REVIEW_EXCLUDED + 1];  /* images per review status */
} DensitoAnnotationCounts;

gboolean            densito_dataset_set_annotations_dir (DensitoDataset      *self,
                                                         const char          *directory,
                                                         GCancellable        *cancellable,
                                                         GError             **error);
const char         *densito_dataset_get_annotations_dir (DensitoDataset      *self);
char               *densito_dataset_dup_sidecar_path    (DensitoDataset      *self,
                                                         guint                image);
DensitoReviewStatus densito_dataset_get_image_review    (DensitoDataset      *self,
                                                         guint                image);
guint               densito_dataset_count_row_reviews   (DensitoDataset      *self,
                                                         guint                row,
                                                         guint               *n_reviewed);
guint               densito_dataset_get_image_n_rois    (DensitoDataset      *self,
                                                         guint                image);
void                densito_dataset_update_image_annotation (DensitoDataset  *self,
                                                         guint                image,
                                                         DensitoReviewStatus  review,
                                                         guint                n_rois);
void                densito_dataset_update_image_sidecar (DensitoDataset     *self,
                                                         guint                image,
                                                         DensitoSidecar      *sidecar);
void                densito_dataset_get_annotation_counts (DensitoDataset    *self,
                                                         DensitoAnnotationCounts *counts);

void                densito_dataset_read_annotations_async  (DensitoDataset      *self,
                                                             GCancellable        *cancellable,
                                                             GAsyncReadyCallback  callback,
                                                             gpointer             user_data);
gboolean            densito_dataset_read_annotations_finish (DensitoDataset      *self,
                                                             GAsyncResult        *result,
                                                             GError             **error);
gboolean            densito_dataset_get_annotations_read    (DensitoDataset      *self);

char               *densito_dataset_find_table          (const char          *directory,
                                                         GError             **error);
char               *densito_dataset_find_image_dir      (const char          *directory);

G_END_DECLS
