/* densito-dataset.c
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A dataset is a patient table plus a folder of scan images. Both are
 * found by content, since copies in the wild name them differently
 * (TableFinal-OSTEO.csv, osteo.csv; Image, Images, imge, ...).
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "densito-dataset.h"
#include "densito-export.h"

#define IMAGE_DIR_MAX_DEPTH 2
#define TABLE_MAX_DEPTH 1

struct _DensitoDataset
{
  GObject             parent_instance;
  char               *path;
  DensitoTable       *table;
  DensitoImageIndex  *images;
  DensitoDiagnostics *diagnostics;
  char               *annotations_dir;
  /* Per image: review status and number of shapes of its sidecar, and
   * how it counts (IMAGE_*). */
  guint8             *image_review;
  guint              *image_rois;
  guint8             *image_flags;
  DensitoAnnotationCounts annotation_counts;
  gboolean            annotations_read;
};

G_DEFINE_FINAL_TYPE (DensitoDataset, densito_dataset, G_TYPE_OBJECT)

/* How an image's sidecar counts in DensitoAnnotationCounts. */
enum
{
  IMAGE_SIDECAR    = 1 << 0,   /* a file exists: with_sidecar */
  IMAGE_BROKEN     = 1 << 1,   /* it cannot be read: broken */
  IMAGE_UNREADABLE = 1 << 2,   /* not even opened: in no review state */
};

static void
densito_dataset_finalize (GObject *object)
{
  DensitoDataset *self = DENSITO_DATASET (object);

  g_clear_object (&self->table);
  g_clear_object (&self->images);
  g_clear_object (&self->diagnostics);
  g_free (self->path);
  g_free (self->annotations_dir);
  g_free (self->image_review);
  g_free (self->image_rois);
  g_free (self->image_flags);

  G_OBJECT_CLASS (densito_dataset_parent_class)->finalize (object);
}

static void
densito_dataset_class_init (DensitoDatasetClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = densito_dataset_finalize;
}

static void
densito_dataset_init (DensitoDataset *self)
{
  self->diagnostics = densito_diagnostics_new ();
}

static gboolean
has_suffix_nocase (const char *name,
                   const char *suffix)
{
  gsize n = strlen (name);
  gsize s = strlen (suffix);

  return n > s && g_ascii_strcasecmp (name + n - s, suffix) == 0;
}

/* A Densito export made inside a dataset folder (or one being written,
 * or left by a killed export) is a dataset of its own: the search for
 * the table and the images goes into it only when nothing else is found. */
static gboolean
is_export_folder (const char *path)
{
  g_autofree char *manifest = g_build_filename (path, "manifest.json", NULL);
  g_autofree char *table = g_build_filename (path, "patients.csv", NULL);
  g_autofree char *marker = g_build_filename (path, DENSITO_EXPORT_MARKER, NULL);

  return (g_file_test (manifest, G_FILE_TEST_IS_REGULAR) && g_file_test (table, G_FILE_TEST_IS_REGULAR)) ||
         g_file_test (marker, G_FILE_TEST_EXISTS);
}

static void
collect_csv (const char *directory,
             guint       depth,
             gboolean    skip_exports,
             GPtrArray  *out)
{
  g_autoptr(GDir) dir = g_dir_open (directory, 0, NULL);
  const char *name;

  if (dir == NULL)
    return;

  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = NULL;

      if (name[0] == '.')
        continue;
      path = g_build_filename (directory, name, NULL);
      if (has_suffix_nocase (name, ".csv"))
        {
          if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
            g_ptr_array_add (out, g_steal_pointer (&path));
        }
      /* Only a folder that may be entered is worth a stat: the image
       * folder one level down holds thousands of files. */
      else if (depth < TABLE_MAX_DEPTH && !densito_is_image_name (name) &&
               !has_suffix_nocase (name, ".json") && g_file_test (path, G_FILE_TEST_IS_DIR) &&
               !(skip_exports && is_export_folder (path)))
        collect_csv (path, depth + 1, skip_exports, out);
    }
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char **)a, *(const char **)b);
}

/**
 * densito_dataset_find_table:
 *
 * Finds the patient table in a dataset folder: a `.csv` file (in the
 * folder or one level down; in a Densito export there only when there is
 * no other) whose header names an ID column; when there are several, the
 * one with the most rows.
 *
 * Returns: (transfer full): the path, or %NULL with @error set
 */
char *
densito_dataset_find_table (const char  *directory,
                            GError     **error)
{
  g_autoptr(GPtrArray) candidates = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GString) looked = g_string_new (NULL);
  g_autofree char *display = g_filename_display_name (directory);
  char *best = NULL;
  guint64 best_lines = 0;

  /* Exports in the folder only when there is nothing else. */
  for (int pass = 0; pass < 2 && best == NULL; pass++)
    {
      g_ptr_array_set_size (candidates, 0);
      g_string_truncate (looked, 0);
      collect_csv (directory, 0, pass == 0, candidates);
      g_ptr_array_sort (candidates, compare_strings);

      for (guint i = 0; i < candidates->len; i++)
        {
          const char *path = g_ptr_array_index (candidates, i);
          g_autofree char *base = g_path_get_basename (path);
          gboolean has_id = FALSE;
          guint64 lines = 0;

          if (!densito_table_probe (path, &has_id, candidates->len > 1 ? &lines : NULL, NULL) || !has_id)
            {
              g_string_append_printf (looked, "%s%s", looked->len ? ", " : "", base);
              continue;
            }
          if (best == NULL || lines > best_lines)
            {
              best = (char *)path;
              best_lines = lines;
            }
        }
    }

  if (best == NULL)
    {
      if (looked->len > 0)
        g_set_error (error, DENSITO_ERROR, DENSITO_ERROR_NO_TABLE,
                     _("%s: no CSV file with a patient ID column (IDENTIFIER1, IDENTIFIER_1 or ID); looked at %s"),
                     display, looked->str);
      else
        g_set_error (error, DENSITO_ERROR, DENSITO_ERROR_NO_TABLE,
                     _("%s: no CSV file in this folder or its subfolders"), display);
      return NULL;
    }

  return g_strdup (best);
}

static void
count_images (const char  *directory,
              guint        depth,
              gboolean     skip_exports,
              char       **best,
              guint       *best_count,
              guint       *best_depth)
{
  g_autoptr(GDir) dir = g_dir_open (directory, 0, NULL);
  g_autoptr(GPtrArray) subdirs = g_ptr_array_new_with_free_func (g_free);
  const char *name;
  guint count = 0;

  if (dir == NULL)
    return;

  while ((name = g_dir_read_name (dir)) != NULL)
    {
      if (name[0] == '.')
        continue;
      if (densito_is_image_name (name))
        count++;
      /* Sidecars and tables sit beside the images: no stat for them. */
      else if (depth < IMAGE_DIR_MAX_DEPTH && !has_suffix_nocase (name, ".json") &&
               !has_suffix_nocase (name, ".csv"))
        {
          g_autofree char *path = g_build_filename (directory, name, NULL);
          if (g_file_test (path, G_FILE_TEST_IS_DIR) && !(skip_exports && is_export_folder (path)))
            g_ptr_array_add (subdirs, g_steal_pointer (&path));
        }
    }

  /* The most images wins; on a tie, the shallower folder, then the first
   * by name. */
  if (count > *best_count || (count == *best_count && count > 0 && depth < *best_depth))
    {
      g_free (*best);
      *best = g_strdup (directory);
      *best_count = count;
      *best_depth = depth;
    }

  g_ptr_array_sort (subdirs, compare_strings);
  for (guint i = 0; i < subdirs->len; i++)
    count_images (g_ptr_array_index (subdirs, i), depth + 1, skip_exports, best, best_count, best_depth);
}

/**
 * densito_dataset_find_image_dir:
 *
 * Returns: (transfer full) (nullable): the folder at most two levels
 * below @directory (or @directory itself), inside a Densito export there
 * only when there is no other, with the most PNG and JPEG files, or %NULL
 * when there are none
 */
char *
densito_dataset_find_image_dir (const char *directory)
{
  char *best = NULL;
  guint best_count = 0;
  guint best_depth = G_MAXUINT;

  count_images (directory, 0, TRUE, &best, &best_count, &best_depth);
  if (best == NULL)
    count_images (directory, 0, FALSE, &best, &best_count, &best_depth);
  return best;
}

/* What reading every sidecar found; made in any thread, applied to the
 * dataset in one step. */
typedef struct
{
  guint8                  *review;
  guint                   *rois;
  guint8                  *flags;
  DensitoAnnotationCounts  counts;
  DensitoDiagnostics      *diagnostics;
} Annotations;

static void
annotations_free (Annotations *a)
{
  g_free (a->review);
  g_free (a->rois);
  g_free (a->flags);
  g_clear_object (&a->diagnostics);
  g_free (a);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Annotations, annotations_free)

/* Reads the sidecar of every image: review state and shape count for
 * queries and counts, and a diagnostic for each one that is broken. */
static Annotations *
read_annotations (DensitoImageIndex  *images,
                  const char         *annotations_dir,
                  GCancellable       *cancellable,
                  GError            **error)
{
  guint n = images ? densito_image_index_get_n_images (images) : 0;
  g_autoptr(Annotations) a = g_new0 (Annotations, 1);

  a->review = g_new0 (guint8, MAX (n, 1));
  a->rois = g_new0 (guint, MAX (n, 1));
  a->flags = g_new0 (guint8, MAX (n, 1));
  a->diagnostics = densito_diagnostics_new ();

  for (guint i = 0; i < n; i++)
    {
      const DensitoImage *img = densito_image_index_get_image (images, i);
      g_autofree char *path = densito_sidecar_path_for_image (img->path, annotations_dir);
      g_autoptr(DensitoSidecar) sidecar = NULL;
      g_autoptr(GError) local_error = NULL;

      if (i % 256 == 0 && g_cancellable_set_error_if_cancelled (cancellable, error))
        return NULL;
      if (!g_file_test (path, G_FILE_TEST_EXISTS))
        {
          a->counts.review[DENSITO_REVIEW_UNREVIEWED]++;
          continue;
        }

      sidecar = densito_sidecar_load (img->path, path, img->width, img->height,
                                      a->diagnostics, cancellable, &local_error);
      if (sidecar == NULL)
        {
          g_autofree char *display = g_filename_display_name (path);
          densito_diagnostics_add (a->diagnostics, DENSITO_DIAG_IO, display, 0, NULL, NULL, 0,
                                   local_error->message);
          a->counts.broken++;
          a->flags[i] = IMAGE_UNREADABLE | IMAGE_BROKEN;
          continue;
        }
      a->counts.with_sidecar++;
      a->flags[i] = IMAGE_SIDECAR;
      if (densito_sidecar_is_broken (sidecar))
        {
          a->counts.broken++;
          a->flags[i] |= IMAGE_BROKEN;
        }
      a->review[i] = (guint8)densito_sidecar_get_review (sidecar)->status;
      a->rois[i] = densito_sidecar_get_n_rois (sidecar);
      a->counts.rois += a->rois[i];
      a->counts.review[a->review[i]]++;
    }
  return g_steal_pointer (&a);
}

static void
apply_annotations (DensitoDataset *self,
                   Annotations    *a)
{
  g_free (self->image_review);
  g_free (self->image_rois);
  g_free (self->image_flags);
  self->image_review = g_steal_pointer (&a->review);
  self->image_rois = g_steal_pointer (&a->rois);
  self->image_flags = g_steal_pointer (&a->flags);
  self->annotation_counts = a->counts;
  densito_diagnostics_append (self->diagnostics, a->diagnostics, 0);
  self->annotations_read = TRUE;
}

static gboolean
scan_annotations (DensitoDataset  *self,
                  GCancellable    *cancellable,
                  GError         **error)
{
  g_autoptr(Annotations) a = read_annotations (self->images, self->annotations_dir, cancellable, error);

  if (a == NULL)
    return FALSE;
  apply_annotations (self, a);
  return TRUE;
}

/* Until the sidecars are read every image counts as unreviewed. */
static void
no_annotations (DensitoDataset *self)
{
  guint n = self->images ? densito_image_index_get_n_images (self->images) : 0;

  self->image_review = g_new0 (guint8, MAX (n, 1));
  self->image_rois = g_new0 (guint, MAX (n, 1));
  self->image_flags = g_new0 (guint8, MAX (n, 1));
  memset (&self->annotation_counts, 0, sizeof self->annotation_counts);
  self->annotation_counts.review[DENSITO_REVIEW_UNREVIEWED] = n;
}

static void
read_annotations_thread (GTask        *task,
                         gpointer      source_object,
                         gpointer      task_data,
                         GCancellable *cancellable)
{
  DensitoDataset *self = source_object;
  GError *error = NULL;
  Annotations *a = read_annotations (self->images, task_data, cancellable, &error);

  if (a == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, a, (GDestroyNotify)annotations_free);
}

/**
 * densito_dataset_read_annotations_async:
 *
 * Reads every image's sidecar in a worker thread, for a dataset opened
 * with %DENSITO_DATASET_OPEN_DEFER_ANNOTATIONS. The dataset changes only
 * in densito_dataset_read_annotations_finish(), on the caller's thread.
 */
void
densito_dataset_read_annotations_async (DensitoDataset      *self,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (DENSITO_IS_DATASET (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, densito_dataset_read_annotations_async);
  g_task_set_task_data (task, g_strdup (self->annotations_dir), g_free);
  g_task_run_in_thread (task, read_annotations_thread);
}

gboolean
densito_dataset_read_annotations_finish (DensitoDataset  *self,
                                         GAsyncResult    *result,
                                         GError         **error)
{
  g_autoptr(Annotations) a = NULL;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  a = g_task_propagate_pointer (G_TASK (result), error);
  if (a == NULL)
    return FALSE;
  apply_annotations (self, a);
  return TRUE;
}

gboolean
densito_dataset_get_annotations_read (DensitoDataset *self)
{
  g_return_val_if_fail (DENSITO_IS_DATASET (self), FALSE);
  return self->annotations_read;
}

/**
 * densito_dataset_set_annotations_dir:
 * @directory: (nullable): where sidecars go instead of beside the images
 *
 * Uses another folder for sidecars (for a read-only image folder), with
 * the same file names, and reads them. Blocking.
 */
gboolean
densito_dataset_set_annotations_dir (DensitoDataset  *self,
                                     const char      *directory,
                                     GCancellable    *cancellable,
                                     GError         **error)
{
  g_return_val_if_fail (DENSITO_IS_DATASET (self), FALSE);

  if (directory != NULL && !g_file_test (directory, G_FILE_TEST_IS_DIR))
    {
      g_autofree char *display = g_filename_display_name (directory);
      g_set_error (error, DENSITO_ERROR, DENSITO_ERROR_INVALID_ARGUMENT,
                   _("%s: the annotations folder does not exist"), display);
      return FALSE;
    }
  g_free (self->annotations_dir);
  self->annotations_dir = g_strdup (directory);
  return scan_annotations (self, cancellable, error);
}

const char *
densito_dataset_get_annotations_dir (DensitoDataset *self)
{
  g_return_val_if_fail (DENSITO_IS_DATASET (self), NULL);
  return self->annotations_dir;
}

char *
densito_dataset_dup_sidecar_path (DensitoDataset *self,
                                  guint           image)
{
  g_return_val_if_fail (DENSITO_IS_DATASET (self), NULL);
  g_return_val_if_fail (self->images != NULL, NULL);

  return densito_sidecar_path_for_image (densito_image_index_get_image (self->images, image)->path,
                                         self->annotations_dir);
}

DensitoReviewStatus
densito_dataset_get_image_review (DensitoDataset *self,
                                  guint           image)
{
  g_return_val_if_fail (DENSITO_IS_DATASET (self), DENSITO_REVIEW_UNREVIEWED);
  g_return_val_if_fail (self->images != NULL && image < densito_image_index_get_n_images (self->images),
                        DENSITO_REVIEW_UNREVIEWED);
  return self->image_review[image];
}

/**
 * densito_dataset_count_row_reviews:
 * @n_reviewed: (out): how many of them are reviewed (in any way)
 *
 * Returns: how many images patient row @row has
 */
guint
densito_dataset_count_row_reviews (DensitoDataset *self,
                                   guint           row,
                                   guint          *n_reviewed)
{
  const guint *idx;
  guint n = 0;

  g_return_val_if_fail (DENSITO_IS_DATASET (self), 0);

  *n_reviewed = 0;
  if (self->images == NULL)
    return 0;
  idx = densito_image_index_get_for_row (self->images, row, &n);
  for (guint i = 0; i < n; i++)
    if (self->image_review[idx[i]] != DENSITO_REVIEW_UNREVIEWED)
      (*n_reviewed)++;
  return n;
}

guint
densito_dataset_get_image_n_rois (DensitoDataset *self,
                                  guint           image)
{
  g_return_val_if_fail (DENSITO_IS_DATASET (self), 0);
  g_return_val_if_fail (self->images != NULL && image < densito_image_index_get_n_images (self->images), 0);
  return self->image_rois[image];
}

/* Moves image @image from what it counted as to what it is now. */
static void
set_image_facts (DensitoDataset      *self,
                 guint                image,
                 DensitoReviewStatus  review,
                 guint                n_rois,
                 guint8               flags)
{
  DensitoAnnotationCounts *c = &self->annotation_counts;
  guint8 old = self->image_flags[image];

  if (!(old & IMAGE_UNREADABLE) && c->review[self->image_review[image]] > 0)
    c->review[self->image_review[image]]--;
  if (!(flags & IMAGE_UNREADABLE))
    c->review[review]++;
  if ((old & IMAGE_SIDECAR) && c->with_sidecar > 0)
    c->with_sidecar--;
  if (flags & IMAGE_SIDECAR)
    c->with_sidecar++;
  if ((old & IMAGE_BROKEN) && c->broken > 0)
    c->broken--;
  if (flags & IMAGE_BROKEN)
    c->broken++;
  c->rois = c->rois - self->image_rois[image] + n_rois;
  self->image_review[image] = (guint8)review;
  self->image_rois[image] = n_rois;
  self->image_flags[image] = flags;
}

/**
 * densito_dataset_update_image_annotation:
 *
 * Records what a sidecar now says (review state and number of shapes),
 * so that counts and queries follow edits without a re-read.
 */
void
densito_dataset_update_image_annotation (DensitoDataset      *self,
                                         guint                image,
                                         DensitoReviewStatus  review,
                                         guint                n_rois)
{
  g_return_if_fail (DENSITO_IS_DATASET (self));
  g_return_if_fail (self->images != NULL && image < densito_image_index_get_n_images (self->images));
  g_return_if_fail (review <= DENSITO_REVIEW_EXCLUDED);

  set_image_facts (self, image, review, n_rois, self->image_flags[image] & ~IMAGE_UNREADABLE);
}

/**
 * densito_dataset_update_image_sidecar:
 *
 * Records what @sidecar says (review state, number of shapes) and whether
 * its file exists and reads, as after loading or saving it: a scan's
 * first save counts it among the images with a sidecar.
 */
void
densito_dataset_update_image_sidecar (DensitoDataset *self,
                                      guint           image,
                                      DensitoSidecar *sidecar)
{
  guint8 flags = 0;

  g_return_if_fail (DENSITO_IS_DATASET (self));
  g_return_if_fail (self->images != NULL && image < densito_image_index_get_n_images (self->images));
  g_return_if_fail (DENSITO_IS_SIDECAR (sidecar));

  if (densito_sidecar_exists_on_disk (sidecar))
    flags |= IMAGE_SIDECAR;
  if (densito_sidecar_exists_on_disk (sidecar) && densito_sidecar_is_broken (sidecar))
    flags |= IMAGE_BROKEN;
  set_image_facts (self, image, densito_sidecar_get_review (sidecar)->status,
                   densito_sidecar_get_n_rois (sidecar), flags);
}

void
densito_dataset_get_annotation_counts (DensitoDataset          *self,
                                       DensitoAnnotationCounts *counts)
{
  g_return_if_fail (DENSITO_IS_DATASET (self));
  *counts = self->annotation_counts;
}

typedef struct
{
  DensitoProgressFunc func;
  gpointer            data;
} ScaledProgress;

static void
table_progress (double   fraction,
                gpointer user_data)
{
  ScaledProgress *p = user_data;

  p->func (fraction * 0.9, p->data);
}

/**
 * densito_dataset_open:
 * @path: a dataset folder or a CSV file
 * @images_dir: (nullable): the image folder, overriding the search
 *
 * Opens a dataset. Blocking; the GUI uses densito_dataset_open_async().
 *
 * Returns: (transfer full): the dataset, or %NULL with @error set when
 * the table cannot be loaded at all
 */
static DensitoDataset *
open_dataset (const char              *path,
              const char              *images_dir,
              DensitoDatasetOpenFlags  flags,
              GCancellable            *cancellable,
              DensitoProgressFunc      progress,
              gpointer                 progress_data,
              GError                 **error);

DensitoDataset *
densito_dataset_open (const char          *path,
                      const char          *images_dir,
                      GCancellable        *cancellable,
                      DensitoProgressFunc  progress,
                      gpointer             progress_data,
                      GError             **error)
{
  return open_dataset (path, images_dir, DENSITO_DATASET_OPEN_DEFAULT, cancellable,
                       progress, progress_data, error);
}

static DensitoDataset *
open_dataset (const char              *path,
              const char              *images_dir,
              DensitoDatasetOpenFlags  flags,
              GCancellable            *cancellable,
              DensitoProgressFunc      progress,
              gpointer                 progress_data,
              GError                 **error)
{
  g_autoptr(DensitoDataset) self = NULL;
  g_autofree char *table_path = NULL;
  g_autofree char *image_path = NULL;
  g_autofree char *base_dir = NULL;
  ScaledProgress scaled = { progress, progress_data };

  g_return_val_if_fail (path != NULL, NULL);

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_autofree char *display = g_filename_display_name (path);
      g_set_error (error, DENSITO_ERROR, DENSITO_ERROR_UNREADABLE,
                   _("%s: no such file or folder"), display);
      return NULL;
    }

  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      table_path = densito_dataset_find_table (path, error);
      if (table_path == NULL)
        return NULL;
      base_dir = g_strdup (path);
    }
  else
    {
      table_path = g_strdup (path);
      base_dir = g_path_get_dirname (path);
    }

  if (images_dir != NULL)
    {
      if (!g_file_test (images_dir, G_FILE_TEST_IS_DIR))
        {
          g_autofree char *display = g_filename_display_name (images_dir);
          g_set_error (error, DENSITO_ERROR, DENSITO_ERROR_INVALID_ARGUMENT,
                       _("%s: the image folder does not exist"), display);
          return NULL;
        }
      image_path = g_strdup (images_dir);
    }
  else
    image_path = densito_dataset_find_image_dir (base_dir);

  self = g_object_new (DENSITO_TYPE_DATASET, NULL);
  self->path = g_strdup (path);
  self->table = densito_table_load (table_path, self->diagnostics, cancellable,
                                    progress ? table_progress : NULL, &scaled, error);
  if (self->table == NULL)
    return NULL;

  if (image_path != NULL)
    {
      self->images = densito_image_index_scan (image_path, self->table, self->diagnostics,
                                               cancellable, error);
      if (self->images == NULL)
        return NULL;
    }

  if (flags & DENSITO_DATASET_OPEN_DEFER_ANNOTATIONS)
    no_annotations (self);
  else if (!scan_annotations (self, cancellable, error))
    return NULL;

  if (progress != NULL)
    progress (1.0, progress_data);

  return g_steal_pointer (&self);
}

typedef struct
{
  char                *path;
  char                *images_dir;
  DensitoDatasetOpenFlags flags;
  DensitoProgressFunc  progress;
  gpointer             progress_data;
} OpenData;

static void
open_data_free (gpointer data)
{
  OpenData *od = data;

  g_free (od->path);
  g_free (od->images_dir);
  g_free (od);
}

static void
open_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  OpenData *od = task_data;
  GError *error = NULL;
  DensitoDataset *dataset;

  dataset = open_dataset (od->path, od->images_dir, od->flags, cancellable,
                          od->progress, od->progress_data, &error);
  if (dataset == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, dataset, g_object_unref);
}

/**
 * densito_dataset_open_async:
 * @progress: (nullable): called from the worker thread; it must hand
 *   the value to the main thread itself (see STYLE.md)
 *
 * Opens a dataset in a worker thread.
 */
void
densito_dataset_open_async (const char              *path,
                            const char              *images_dir,
                            DensitoDatasetOpenFlags  flags,
                            GCancellable        *cancellable,
                            DensitoProgressFunc  progress,
                            gpointer             progress_data,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  OpenData *od;

  g_return_if_fail (path != NULL);

  od = g_new0 (OpenData, 1);
  od->path = g_strdup (path);
  od->images_dir = g_strdup (images_dir);
  od->flags = flags;
  od->progress = progress;
  od->progress_data = progress_data;

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, densito_dataset_open_async);
  g_task_set_task_data (task, od, open_data_free);
  g_task_run_in_thread (task, open_thread);
}

DensitoDataset *
densito_dataset_open_finish (GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == densito_dataset_open_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

const char *
densito_dataset_get_path (DensitoDataset *self)
{
  g_return_val_if_fail (DENSITO_IS_DATASET (self), NULL);
  return self->path;
}

DensitoTable *
densito_dataset_get_table (DensitoDataset *self)
{
  g_return_val_if_fail (DENSITO_IS_DATASET (self), NULL);
  return self->table;
}

/* Returns: (nullable): the image index, or %NULL when no image folder was found */
DensitoImageIndex *
densito_dataset_get_images (DensitoDataset *self)
{
  g_return_val_if_fail (DENSITO_IS_DATASET (self), NULL);
  return self->images;
}

DensitoDiagnostics *
densito_dataset_get_diagnostics (DensitoDataset *self)
{
  g_return_val_if_fail (DENSITO_IS_DATASET (self), NULL);
  return self->diagnostics;
}
