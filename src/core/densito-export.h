/* densito-export.h
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "densito-dataset.h"
#include "densito-query.h"

G_BEGIN_DECLS

#define DENSITO_EXPORT_ERROR (densito_export_error_quark ())

typedef enum
{
  DENSITO_EXPORT_ERROR_TARGET_EXISTS,   /* the target exists and is not an empty folder */
  DENSITO_EXPORT_ERROR_PARTIAL_FOREIGN, /* <target>.partial exists and is not ours */
  DENSITO_EXPORT_ERROR_BUSY,            /* another export is writing <target>.partial */
  DENSITO_EXPORT_ERROR_WRITE,           /* a file could not be read or written */
  DENSITO_EXPORT_ERROR_MAPPING,         /* the ID mapping cannot go where it was asked */
  DENSITO_EXPORT_ERROR_NO_PATIENTS,     /* the query matches nobody: nothing to export */
} DensitoExportError;

GQuark densito_export_error_quark (void);

typedef enum
{
  DENSITO_EXPORT_DEFAULT   = 0,
  DENSITO_EXPORT_ANONYMIZE = 1 << 0,  /* new IDs P00001..., files renamed to match */
  DENSITO_EXPORT_COCO      = 1 << 1,  /* write annotations.coco.json */
  DENSITO_EXPORT_NO_IMAGES = 1 << 2,  /* only patients.csv and the manifest */
  DENSITO_EXPORT_COPY      = 1 << 3,  /* copy images even where a hard link would do */
  DENSITO_EXPORT_NO_ANNOTATIONS = 1 << 4,  /* images without their sidecars, and no COCO file */
} DensitoExportFlags;

/* The file the export writes first into <target>.partial/ and holds a
 * lock on while it runs; a .partial folder without it is not ours. */
#define DENSITO_EXPORT_MARKER ".densito-export-in-progress"

/* The .partial folder of an export into an existing empty folder: inside
 * it, so on the same disk (a mount point, a USB stick) and within the
 * folder's own permissions. */
#define DENSITO_EXPORT_INSIDE_PARTIAL ".densito-export.partial"

typedef struct
{
  double  fraction;      /* 0 to 1 */
  guint   files_done;
  guint   n_files;       /* every file the export writes, the manifest included */
  guint64 bytes_done;
  guint64 n_bytes;
  gboolean flushing;     /* every file is written; the export waits for the disk to have
                          * them (slow media: minutes), and can no longer be cancelled */
} DensitoExportProgress;

/* Called on the thread that runs the export (a worker thread for
 * densito_export_async()), never twice at once; it must not touch widgets. */
typedef void (*DensitoExportProgressFunc) (const DensitoExportProgress *progress,
                                           gpointer                     user_data);

/* What an export would contain, for a dialog's summary line. */
typedef struct
{
  guint patients;
  guint images;             /* images that will be exported */
  guint annotated;          /* of those, images whose sidecar has at least one ROI and is
                             * exported (0 with DENSITO_EXPORT_NO_ANNOTATIONS) */
  guint pii_renamed;        /* images named like a national ID that get a new name */
  guint pii_left_out;       /* images named like a national ID that are left out */
  guint pii_patient_ids;    /* patient IDs that look like a national ID (kept unless anonymised) */
} DensitoExportSummary;

typedef struct _DensitoExportResult DensitoExportResult;

void                 densito_export_summarize       (DensitoDataset            *dataset,
                                                     DensitoQuery              *query,
                                                     DensitoExportFlags         flags,
                                                     DensitoExportSummary      *summary);

DensitoExportResult *densito_export                 (DensitoDataset            *dataset,
                                                     DensitoQuery              *query,
                                                     const char                *target,
                                                     DensitoExportFlags         flags,
                                                     GCancellable              *cancellable,
                                                     DensitoExportProgressFunc  progress,
                                                     gpointer                   progress_data,
                                                     GError                   **error);
void                 densito_export_async           (DensitoDataset            *dataset,
                                                     DensitoQuery              *query,
                                                     const char                *target,
                                                     DensitoExportFlags         flags,
                                                     GCancellable              *cancellable,
                                                     DensitoExportProgressFunc  progress,
                                                     gpointer                   progress_data,
                                                     GAsyncReadyCallback        callback,
                                                     gpointer                   user_data);
DensitoExportResult *densito_export_finish          (GAsyncResult              *result,
                                                     GError                   **error);

void                 densito_export_result_free     (DensitoExportResult       *result);
const char          *densito_export_result_get_target (DensitoExportResult     *result);
const DensitoExportSummary *densito_export_result_get_summary (DensitoExportResult *result);
guint                densito_export_result_get_n_files  (DensitoExportResult   *result);
guint                densito_export_result_get_n_linked (DensitoExportResult   *result);
guint                densito_export_result_get_n_copied (DensitoExportResult   *result);
GPtrArray           *densito_export_result_get_unreadable (DensitoExportResult *result);
const char          *densito_export_result_lookup_id    (DensitoExportResult   *result,
                                                         const char            *original_id);
gboolean             densito_export_check_mapping_path  (const char            *target,
                                                         const char            *path,
                                                         GError               **error);
gboolean             densito_export_result_save_mapping (DensitoExportResult   *result,
                                                         const char            *path,
                                                         GError               **error);

/* CSV writing shared with `densito list`. */
#define DENSITO_N_DERIVED_COLUMNS 4

const char          *densito_derived_column_name    (guint                      i);
void                 densito_derived_values         (DensitoTable              *table,
                                                     guint                      row,
                                                     const char                *values[DENSITO_N_DERIVED_COLUMNS]);
void                 densito_csv_append_field       (GString                   *out,
                                                     const char                *text,
                                                     char                       delimiter,
                                                     gboolean                   neutralize);
void                 densito_csv_append_header      (GString                   *out,
                                                     DensitoTable              *table,
                                                     const char                *last_column,
                                                     char                       delimiter,
                                                     gboolean                   neutralize);
void                 densito_csv_append_row         (GString                   *out,
                                                     DensitoTable              *table,
                                                     guint                      row,
                                                     const char                *id,
                                                     const char                *last_value,
                                                     char                       delimiter,
                                                     gboolean                   neutralize);
gboolean             densito_csv_needs_neutralizing (const char                *text);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DensitoExportResult, densito_export_result_free)

G_END_DECLS
