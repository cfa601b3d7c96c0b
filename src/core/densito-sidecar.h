/* densito-sidecar.h
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "densito-diagnostics.h"

G_BEGIN_DECLS

#define DENSITO_SIDECAR_ERROR (densito_sidecar_error_quark ())

typedef enum
{
  DENSITO_SIDECAR_ERROR_CONFLICT,    /* the file changed on disk since it was loaded */
  DENSITO_SIDECAR_ERROR_READ_ONLY,   /* the folder cannot be written */
  DENSITO_SIDECAR_ERROR_WRITE,       /* any other failure to write */
} DensitoSidecarError;

GQuark densito_sidecar_error_quark (void);

/* Sidecars larger than this, or with more shapes, are not read. */
#define DENSITO_SIDECAR_MAX_BYTES (16 * 1024 * 1024)
#define DENSITO_SIDECAR_MAX_SHAPES 10000

typedef enum
{
  DENSITO_SHAPE_BOX = 0,   /* a rectangle, possibly rotated */
  DENSITO_SHAPE_OTHER,     /* polygon, point, line...: kept as it was */
} DensitoShapeKind;

typedef enum
{
  DENSITO_SOURCE_SCANNER = 0,
  DENSITO_SOURCE_SYNTHETIC,
  DENSITO_SOURCE_OPERATOR,
  DENSITO_SOURCE_IMPORTED,
} DensitoSource;

typedef enum
{
  DENSITO_REVIEW_UNREVIEWED = 0,
  DENSITO_REVIEW_ACCEPTED,
  DENSITO_REVIEW_CORRECTED,
  DENSITO_REVIEW_EXCLUDED,
} DensitoReviewStatus;

/* A box in image pixels: origin top-left, x right, y down; the angle is
 * in degrees, clockwise. */
typedef struct
{
  double cx;
  double cy;
  double width;
  double height;
  double angle;
} DensitoBox;

typedef struct
{
  char          *key;           /* stable across reordering */
  char          *label;
  DensitoShapeKind kind;
  DensitoBox     box;           /* for DENSITO_SHAPE_BOX */
  char          *shape_type;    /* as read: rectangle, polygon, oriented_rectangle, ... */
  JsonObject    *json;          /* the shape as read, with any unknown keys */
  DensitoSource  source;
  char          *by;
  char          *at;
  gboolean       has_original;  /* the geometry before an operator corrected it */
  DensitoBox     original;
} DensitoRoi;

typedef struct
{
  DensitoReviewStatus status;
  char               *reason;
  char               *by;
  char               *at;
} DensitoReview;

#define DENSITO_TYPE_SIDECAR (densito_sidecar_get_type ())

G_DECLARE_FINAL_TYPE (DensitoSidecar, densito_sidecar, DENSITO, SIDECAR, GObject)

DensitoSidecar    *densito_sidecar_new               (const char          *image_path,
                                                      const char          *sidecar_path,
                                                      guint                image_width,
                                                      guint                image_height);
DensitoSidecar    *densito_sidecar_load              (const char          *image_path,
                                                      const char          *sidecar_path,
                                                      guint                image_width,
                                                      guint                image_height,
                                                      DensitoDiagnostics  *diagnostics,
                                                      GCancellable        *cancellable,
                                                      GError             **error);
DensitoSidecar    *densito_sidecar_load_from_data    (const char          *data,
                                                      gsize                len,
                                                      const char          *image_path,
                                                      const char          *sidecar_path,
                                                      guint                image_width,
                                                      guint                image_height,
                                                      DensitoDiagnostics  *diagnostics);
gboolean           densito_sidecar_save              (DensitoSidecar      *self,
                                                      GCancellable        *cancellable,
                                                      GError             **error);

/* A save in three steps, for a worker thread: the snapshot is taken and
 * applied on the sidecar's thread (no I/O), and written anywhere. */
typedef struct _DensitoSidecarSnapshot DensitoSidecarSnapshot;

DensitoSidecarSnapshot *densito_sidecar_snapshot_new   (DensitoSidecar         *self);
gboolean           densito_sidecar_snapshot_write    (DensitoSidecarSnapshot *snapshot,
                                                      GCancellable           *cancellable,
                                                      GError                **error);
void               densito_sidecar_snapshot_apply    (DensitoSidecarSnapshot *snapshot,
                                                      DensitoSidecar         *self);
void               densito_sidecar_snapshot_free     (DensitoSidecarSnapshot *snapshot);
char              *densito_sidecar_to_data           (DensitoSidecar      *self,
                                                      gsize               *len);
gboolean           densito_sidecar_check_image_hash  (DensitoSidecar      *self,
                                                      GError             **error);

const char        *densito_sidecar_get_path          (DensitoSidecar      *self);
const char        *densito_sidecar_get_image_path    (DensitoSidecar      *self);
gboolean           densito_sidecar_exists_on_disk    (DensitoSidecar      *self);
gboolean           densito_sidecar_is_broken         (DensitoSidecar      *self);
const char        *densito_sidecar_get_backup_path   (DensitoSidecar      *self);
gboolean           densito_sidecar_get_image_mismatch (DensitoSidecar     *self);
guint              densito_sidecar_get_n_rois        (DensitoSidecar      *self);
const DensitoRoi  *densito_sidecar_get_roi           (DensitoSidecar      *self,
                                                      guint                i);
int                densito_sidecar_find_roi          (DensitoSidecar      *self,
                                                      const char          *key);
const DensitoReview *densito_sidecar_get_review      (DensitoSidecar      *self);
DensitoSidecar    *densito_sidecar_dup_theirs        (DensitoSidecar      *self);

/* Raw edits, without undo; DensitoEditStack wraps them. */
guint              densito_sidecar_insert_roi        (DensitoSidecar      *self,
                                                      guint                position,
                                                      const DensitoRoi    *roi);
void               densito_sidecar_remove_roi        (DensitoSidecar      *self,
                                                      guint                i,
                                                      DensitoRoi         **removed);
void               densito_sidecar_set_roi_box       (DensitoSidecar      *self,
                                                      guint                i,
                                                      const DensitoBox    *box,
                                                      const char          *label);
void               densito_sidecar_set_roi_points    (DensitoSidecar      *self,
                                                      guint                i,
                                                      const double        *xy,
                                                      guint                n_points);
void               densito_sidecar_replace_roi       (DensitoSidecar      *self,
                                                      guint                i,
                                                      const DensitoRoi    *roi);
void               densito_sidecar_set_review        (DensitoSidecar      *self,
                                                      const DensitoReview *review);
void               densito_sidecar_set_operator      (DensitoSidecar      *self,
                                                      const char          *name);

DensitoRoi        *densito_roi_new_box               (const char          *label,
                                                      const DensitoBox    *box,
                                                      DensitoSource        source);
DensitoRoi        *densito_roi_copy                  (const DensitoRoi    *roi);
void               densito_roi_free                  (DensitoRoi          *roi);
double            *densito_roi_dup_points            (const DensitoRoi    *roi,
                                                      guint               *n_points);
void               densito_box_corners               (const DensitoBox    *box,
                                                      double               xy[8]);
gboolean           densito_box_from_polygon          (const double        *xy,
                                                      guint                n_points,
                                                      DensitoBox          *box);

const char        *densito_review_status_to_string   (DensitoReviewStatus  status);
gboolean           densito_review_status_from_string (const char          *text,
                                                      DensitoReviewStatus *status);
const char        *densito_source_to_string          (DensitoSource        source);
char              *densito_sidecar_path_for_image    (const char          *image_path,
                                                      const char          *annotations_dir);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DensitoRoi, densito_roi_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DensitoSidecarSnapshot, densito_sidecar_snapshot_free)

G_END_DECLS
