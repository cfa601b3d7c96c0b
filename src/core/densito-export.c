/* densito-export.c
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Exports the patients a query selects: patients.csv, images/ with their
 * sidecars, optionally annotations.coco.json, and manifest.json with the
 * SHA-256 of every file. Everything is written into <target>.partial/,
 * which is renamed to the target only once complete, so a cancel, a crash
 * or a full disk never leaves half an export under the final name. Into an
 * existing empty folder, the .partial folder is made inside it and its
 * entries are moved out, the manifest last.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE   /* syncfs */
#endif
#include "config.h"

#include <csv.h>
#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "densito-export.h"

#ifdef HAVE_NETTLE
#include <nettle/sha2.h>
#endif

#define COPY_BLOCK (256 * 1024)
#define MAX_THREADS 4
#define PROGRESS_INTERVAL_US (50 * 1000)
#define MANIFEST_VERSION 1

struct _DensitoExportResult
{
  char                 *target;
  DensitoExportSummary  summary;
  guint                 n_files;
  guint                 n_linked;
  guint                 n_copied;
  guint                 n_sidecars;
  GPtrArray            *unreadable;    /* sidecars left out, by their path in the dataset */
  GPtrArray            *mapping_ids;   /* original IDs, in export ID order */
  GHashTable           *mapping;       /* original ID -> export ID */
};

typedef struct
{
  guint  row;
  char  *id;             /* as exported */
  GPtrArray *files;      /* exported image names */
} PlanPatient;

typedef struct
{
  guint           image;       /* in the dataset's image index */
  guint           patient;     /* in Plan.patients */
  char           *name;        /* exported name, or NULL when left out */
  gboolean        pii;         /* the original name looks like a national ID */
  DensitoSidecar *sidecar;     /* as exported, or NULL */
  guint           width;
  guint           height;
} PlanImage;

typedef struct
{
  DensitoExportFlags  flags;
  GArray             *patients;    /* PlanPatient */
  GArray             *images;      /* PlanImage */
  GPtrArray          *mapping_ids;
  GHashTable         *mapping;
  DensitoExportSummary summary;
  guint               sidecars_unreadable;
} Plan;

typedef enum
{
  JOB_FILE,      /* hard link or copy src */
  JOB_DATA,      /* write data */
  JOB_SIDECAR,   /* read the sidecar src, rewrite it for the new image name */
} JobKind;

typedef struct
{
  JobKind    kind;
  char      *rel;         /* path inside the export */
  char      *src;         /* JOB_FILE, JOB_SIDECAR */
  GBytes    *data;        /* JOB_DATA */
  PlanImage *image;       /* JOB_SIDECAR: gets the sidecar as exported */
  guint64    size;
  guint64    planned;     /* size when planned, for progress */
  gboolean   linked;
  gboolean   left_out;    /* JOB_SIDECAR: unreadable, nothing written */
  char       sha256[65];
} Job;

typedef struct
{
  GPtrArray                 *jobs;
  const char                *root;
  gboolean                   try_links;
  gint                       links_fail;    /* atomic: the file system refused a link */
  gint                       next;          /* atomic: next job */
  gint                       abort;         /* atomic */
  GCancellable              *cancellable;
  GMutex                     mutex;
  GError                    *error;
  DensitoExportProgress      progress;
  DensitoExportProgressFunc  progress_func;
  gpointer                   progress_data;
  gint64                     last_report;
  GThread                   *reporter;      /* the calling thread */
} Writer;

G_DEFINE_QUARK (densito-export-error-quark, densito_export_error)

/* SHA-256 of every file written: nettle's uses the CPU's SHA instructions
 * and is about three times faster than GChecksum, which hashing every image
 * of an export notices; GChecksum when nettle is not there. */
typedef struct
{
#ifdef HAVE_NETTLE
  struct sha256_ctx ctx;
#else
  GChecksum *checksum;
#endif
} Sha256;

static void
sha256_begin (Sha256 *h)
{
#ifdef HAVE_NETTLE
  sha256_init (&h->ctx);
#else
  h->checksum = g_checksum_new (G_CHECKSUM_SHA256);
#endif
}

static void
sha256_feed (Sha256       *h,
             const guchar *data,
             gsize         len)
{
#ifdef HAVE_NETTLE
  sha256_update (&h->ctx, len, data);
#else
  g_checksum_update (h->checksum, data, (gssize)len);
#endif
}

/* Writes the hex digest and frees the state. */
static void
sha256_end (Sha256 *h,
            char    hex[65])
{
#ifdef HAVE_NETTLE
  guint8 digest[SHA256_DIGEST_SIZE];

  sha256_digest (&h->ctx, sizeof digest, digest);
  for (guint i = 0; i < sizeof digest; i++)
    g_snprintf (hex + 2 * i, 3, "%02x", digest[i]);
#else
  g_strlcpy (hex, g_checksum_get_string (h->checksum), 65);
  g_checksum_free (h->checksum);
#endif
}

static const char *derived_columns[DENSITO_N_DERIVED_COLUMNS] = {
  "WHO_CLASS", "WHO_SITE", "TSCORE_APPLICABLE", "LABEL_AGREES"
};

/* CSV, shared with `densito list` */

const char *
densito_derived_column_name (guint i)
{
  g_return_val_if_fail (i < DENSITO_N_DERIVED_COLUMNS, NULL);
  return derived_columns[i];
}

/**
 * densito_derived_values:
 *
 * The computed class, the deciding site, ISCD applicability and agreement
 * with the dataset's label, as `densito list` and the export print them.
 */
void
densito_derived_values (DensitoTable *table,
                        guint         row,
                        const char   *values[DENSITO_N_DERIVED_COLUMNS])
{
  DensitoSite site;
  DensitoClass klass = densito_table_get_class (table, row, &site);

  values[0] = klass == DENSITO_CLASS_MISSING ? "" : densito_class_to_string (klass);
  values[1] = densito_site_to_string (site);
  values[2] = densito_applicability_to_string (densito_table_get_applicability (table, row, NULL));
  values[3] = densito_agreement_to_string (densito_table_get_agreement (table, row));
}

/**
 * densito_csv_needs_neutralizing:
 *
 * Whether a spreadsheet could take @text for a formula: it begins with
 * `=`, `+`, `-`, `@`, a tab or a carriage return and is not a number
 * (`-2.5` and `-2,5` stay numbers).
 */
gboolean
densito_csv_needs_neutralizing (const char *text)
{
  double value;
  guint8 decimals;
  gboolean canonical;

  if (text[0] == '\0' || strchr ("=+-@\t\r", text[0]) == NULL)
    return FALSE;
  return !densito_parse_number (text, strlen (text), ',', &value, &decimals, &canonical);
}

void
densito_csv_append_field (GString    *out,
                          const char *text,
                          char        delimiter,
                          gboolean    neutralize)
{
  g_autofree char *safe = NULL;
  gsize len;

  if (neutralize && densito_csv_needs_neutralizing (text))
    text = safe = g_strconcat ("'", text, NULL);

  len = strlen (text);
  if (strpbrk (text, "\"\r\n") != NULL || memchr (text, delimiter, len) != NULL ||
      (len > 0 && (text[0] == ' ' || text[len - 1] == ' ')))
    {
      gsize cap = len * 2 + 3;
      g_autofree char *buf = g_malloc (cap);
      gsize n = csv_write2 (buf, cap, text, len, '"');
      g_string_append_len (out, buf, (gssize)n);
    }
  else
    g_string_append_len (out, text, (gssize)len);
}

/**
 * densito_csv_append_header:
 * @last_column: (nullable): a column after the derived ones
 *
 * The original column names in file order, the derived columns, then
 * @last_column, and a line end.
 */
void
densito_csv_append_header (GString      *out,
                           DensitoTable *table,
                           const char   *last_column,
                           char          delimiter,
                           gboolean      neutralize)
{
  guint n_cols = densito_table_get_n_columns (table);

  for (guint c = 0; c < n_cols; c++)
    {
      if (c > 0)
        g_string_append_c (out, delimiter);
      densito_csv_append_field (out, densito_table_get_column_name (table, c), delimiter, neutralize);
    }
  for (guint e = 0; e < DENSITO_N_DERIVED_COLUMNS; e++)
    {
      g_string_append_c (out, delimiter);
      g_string_append (out, derived_columns[e]);
    }
  if (last_column != NULL)
    {
      g_string_append_c (out, delimiter);
      g_string_append (out, last_column);
    }
  g_string_append_c (out, '\n');
}

/**
 * densito_csv_append_row:
 * @id: (nullable): printed in the ID column instead of the patient's ID
 * @last_value: (nullable): the value of the header's @last_column
 *
 * One patient's cells as the file had them, then the derived values.
 */
void
densito_csv_append_row (GString      *out,
                        DensitoTable *table,
                        guint         row,
                        const char   *id,
                        const char   *last_value,
                        char          delimiter,
                        gboolean      neutralize)
{
  guint n_cols = densito_table_get_n_columns (table);
  int id_col = id != NULL ? densito_table_get_field_column (table, DENSITO_FIELD_ID) : -1;
  const char *values[DENSITO_N_DERIVED_COLUMNS];

  for (guint c = 0; c < n_cols; c++)
    {
      char buf[DENSITO_CELL_BUF];

      if (c > 0)
        g_string_append_c (out, delimiter);
      densito_csv_append_field (out, (int)c == id_col ? id : densito_table_get_cell (table, row, c, buf),
                                delimiter, neutralize);
    }
  densito_derived_values (table, row, values);
  for (guint e = 0; e < DENSITO_N_DERIVED_COLUMNS; e++)
    {
      g_string_append_c (out, delimiter);
      densito_csv_append_field (out, values[e], delimiter, neutralize);
    }
  if (last_value != NULL)
    {
      g_string_append_c (out, delimiter);
      densito_csv_append_field (out, last_value, delimiter, neutralize);
    }
  g_string_append_c (out, '\n');
}

/* The plan: who and what is exported, under which names */

static gboolean
looks_like_national_id (const char *id)
{
  return strlen (id) == 10 && densito_national_code_valid (id);
}

static void
plan_patient_clear (gpointer data)
{
  PlanPatient *p = data;

  g_free (p->id);
  g_clear_pointer (&p->files, g_ptr_array_unref);
}

static void
plan_image_clear (gpointer data)
{
  PlanImage *pi = data;

  g_free (pi->name);
  g_clear_object (&pi->sidecar);
}

static void
plan_free (Plan *plan)
{
  g_clear_pointer (&plan->patients, g_array_unref);
  g_clear_pointer (&plan->images, g_array_unref);
  g_clear_pointer (&plan->mapping_ids, g_ptr_array_unref);
  g_clear_pointer (&plan->mapping, g_hash_table_unref);
  g_free (plan);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Plan, plan_free)

static char *
stem_key (const char *name)
{
  const char *dot = strrchr (name, '.');
  g_autofree char *stem = dot ? g_strndup (name, (gsize)(dot - name)) : g_strdup (name);

  /* Case-insensitive, so two names cannot meet on a case-insensitive disk. */
  return g_utf8_casefold (stem, -1);
}

/* <id>-<n>.<ext>, or <id>.<ext> without a number, unique by stem. When
 * that is taken (two files of one patient with one number, 10007-1.png
 * and 10007_1.png), another spelling that reads back as the same ID and
 * number, so as the same region: <id>_<n>, <id> (<n>), then <n> with
 * leading zeros (up to the four digits a number may have). A file without
 * a number gets number 0, which stands for no region either. */
static char *
new_image_name (const char *id,
                const DensitoImage *img,
                GHashTable *stems)
{
  const char *dot = strrchr (img->name, '.');
  const char *ext = dot ? dot : "";
  int number = MAX (img->suffix, 0);
  int digits = number >= 1000 ? 4 : number >= 100 ? 3 : number >= 10 ? 2 : 1;
  char *name;

  if (img->suffix >= 0)
    name = g_strdup_printf ("%s-%d%s", id, img->suffix, ext);
  else
    name = g_strdup_printf ("%s%s", id, ext);

  for (int k = 0;; k++)
    {
      g_autofree char *key = stem_key (name);
      int width = digits + k / 3;

      if (!g_hash_table_contains (stems, key))
        break;
      g_free (name);
      if (width > 4 || (k % 3 == 2 && width + 1 > 4))
        /* more files with one number than spellings: a number of its own */
        name = g_strdup_printf ("%s-%d%s", id, 1000 + k, ext);
      else if (k % 3 == 0)
        name = g_strdup_printf ("%s_%0*d%s", id, width, number, ext);
      else if (k % 3 == 1)
        name = g_strdup_printf ("%s (%0*d)%s", id, width, number, ext);
      else
        name = g_strdup_printf ("%s-%0*d%s", id, width + 1, number, ext);
    }
  return name;
}

static Plan *
plan_new (DensitoDataset     *dataset,
          DensitoQuery       *query,
          DensitoExportFlags  flags)
{
  DensitoTable *table = densito_dataset_get_table (dataset);
  DensitoImageIndex *index = densito_dataset_get_images (dataset);
  g_autoptr(Plan) plan = g_new0 (Plan, 1);
  g_autofree guint *rows = g_new (guint, MAX (densito_table_get_n_rows (table), 1));
  g_autoptr(GHashTable) stems = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  gboolean anonymize = (flags & DENSITO_EXPORT_ANONYMIZE) != 0;
  gboolean annotations = (flags & DENSITO_EXPORT_NO_ANNOTATIONS) == 0;
  guint n;

  plan->flags = flags;
  plan->patients = g_array_new (FALSE, TRUE, sizeof (PlanPatient));
  g_array_set_clear_func (plan->patients, plan_patient_clear);
  plan->images = g_array_new (FALSE, TRUE, sizeof (PlanImage));
  g_array_set_clear_func (plan->images, plan_image_clear);

  if (query != NULL)
    n = densito_query_filter_dataset (query, dataset, rows);
  else
    for (n = 0; n < densito_table_get_n_rows (table); n++)
      rows[n] = n;

  if (anonymize)
    {
      /* New IDs in a random order, so that P00001... says nothing about
       * the original IDs or the row order. */
      g_autoptr(GRand) rand = g_rand_new ();

      plan->mapping = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      plan->mapping_ids = g_ptr_array_new ();
      for (guint i = n; i > 1; i--)
        {
          guint j = (guint)g_rand_int_range (rand, 0, (gint32)i);
          guint t = rows[i - 1];
          rows[i - 1] = rows[j];
          rows[j] = t;
        }
    }

  for (guint i = 0; i < n; i++)
    {
      PlanPatient p = { rows[i], NULL, g_ptr_array_new () };
      const char *id = densito_table_get_id (table, rows[i]);

      if (anonymize)
        {
          const char *known = g_hash_table_lookup (plan->mapping, id);
          if (known == NULL)
            {
              char *orig = g_strdup (id);
              known = g_strdup_printf ("P%05u", g_hash_table_size (plan->mapping) + 1);
              g_hash_table_insert (plan->mapping, orig, (char *)known);
              g_ptr_array_add (plan->mapping_ids, orig);
            }
          p.id = g_strdup (known);
        }
      else
        {
          p.id = g_strdup (id);
          if (looks_like_national_id (id))
            plan->summary.pii_patient_ids++;
        }
      g_array_append_val (plan->patients, p);
    }
  plan->summary.patients = n;

  if (index == NULL || (flags & DENSITO_EXPORT_NO_IMAGES))
    return g_steal_pointer (&plan);

  /* Names kept as they are first, so a new name never takes one of them. */
  for (guint pass = 0; pass < 2; pass++)
    for (guint i = 0; i < plan->patients->len; i++)
      {
        PlanPatient *p = &g_array_index (plan->patients, PlanPatient, i);
        guint n_images;
        const guint *images = densito_image_index_get_for_row (index, p->row, &n_images);

        for (guint k = 0; k < n_images; k++)
          {
            const DensitoImage *img = densito_image_index_get_image (index, images[k]);
            gboolean rename = anonymize || img->personal_id;
            PlanImage pi = { images[k], i, NULL, img->personal_id, NULL, img->width, img->height };

            if (rename != (pass == 1))
              continue;
            if (!rename)
              pi.name = g_strdup (img->name);
            else if (!looks_like_national_id (p->id))
              pi.name = new_image_name (p->id, img, stems);
            /* else: the only name to give it would be a national ID: left out */

            if (pi.name != NULL)
              {
                g_hash_table_add (stems, stem_key (pi.name));
                g_ptr_array_add (p->files, pi.name);
                plan->summary.images++;
                if (annotations && densito_dataset_get_image_n_rois (dataset, images[k]) > 0)
                  plan->summary.annotated++;
                if (pi.pii)
                  plan->summary.pii_renamed++;
              }
            else
              plan->summary.pii_left_out++;
            g_array_append_val (plan->images, pi);
          }
      }

  return g_steal_pointer (&plan);
}

/**
 * densito_export_summarize:
 * @query: (nullable): %NULL for every patient
 *
 * Counts what densito_export() would write, without reading any file.
 * Annotated images are counted from the sidecars the dataset has read.
 */
void
densito_export_summarize (DensitoDataset       *dataset,
                          DensitoQuery         *query,
                          DensitoExportFlags    flags,
                          DensitoExportSummary *summary)
{
  DensitoTable *table;
  DensitoImageIndex *index;
  g_autofree guint *rows = NULL;
  gboolean anonymize = (flags & DENSITO_EXPORT_ANONYMIZE) != 0;
  gboolean annotations = (flags & DENSITO_EXPORT_NO_ANNOTATIONS) == 0;
  guint n;

  g_return_if_fail (DENSITO_IS_DATASET (dataset));
  g_return_if_fail (summary != NULL);

  /* The counts plan_new() makes, without the names and the ID mapping it
   * also makes: anonymised, a million rows took 2.4-2.7 s that way. */
  table = densito_dataset_get_table (dataset);
  index = densito_dataset_get_images (dataset);
  rows = g_new (guint, MAX (densito_table_get_n_rows (table), 1));
  if (query != NULL)
    n = densito_query_filter_dataset (query, dataset, rows);
  else
    for (n = 0; n < densito_table_get_n_rows (table); n++)
      rows[n] = n;

  memset (summary, 0, sizeof *summary);
  summary->patients = n;
  for (guint i = 0; i < n; i++)
    {
      /* An anonymised ID (P00001...) never looks like a national ID. */
      gboolean national = !anonymize && looks_like_national_id (densito_table_get_id (table, rows[i]));
      guint n_images;
      const guint *images;

      if (national)
        summary->pii_patient_ids++;
      if (index == NULL || (flags & DENSITO_EXPORT_NO_IMAGES))
        continue;
      images = densito_image_index_get_for_row (index, rows[i], &n_images);
      for (guint k = 0; k < n_images; k++)
        {
          const DensitoImage *img = densito_image_index_get_image (index, images[k]);
          gboolean rename = anonymize || img->personal_id;

          /* Renamed after the patient's ID, unless that is a national ID. */
          if (rename && national)
            {
              summary->pii_left_out++;
              continue;
            }
          summary->images++;
          if (annotations && densito_dataset_get_image_n_rois (dataset, images[k]) > 0)
            summary->annotated++;
          if (img->personal_id)
            summary->pii_renamed++;
        }
    }
}

/* Files */

static gboolean
set_io_error (GError     **error,
              int          saved_errno,
              const char  *format,
              const char  *path)
{
  g_autofree char *display = g_filename_display_name (path);
  g_autofree char *what = NULL;

  /* Every format is one of the literal _("... %s") strings below. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
  what = g_strdup_printf (format, display);
#pragma GCC diagnostic pop

  g_set_error (error, DENSITO_EXPORT_ERROR, DENSITO_EXPORT_ERROR_WRITE, "%s: %s", what,
               g_strerror (saved_errno));
  return FALSE;
}

/* Removes a tree without following symbolic links. */
static gboolean
remove_tree (const char  *path,
             GError     **error)
{
  GStatBuf st;

  if (g_lstat (path, &st) != 0)
    return errno == ENOENT ? TRUE : set_io_error (error, errno, _("Could not remove %s"), path);

  if (S_ISDIR (st.st_mode))
    {
      g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
      const char *name;

      if (dir == NULL)
        return set_io_error (error, errno, _("Could not remove %s"), path);
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          if (!remove_tree (child, error))
            return FALSE;
        }
      if (g_rmdir (path) != 0)
        return set_io_error (error, errno, _("Could not remove %s"), path);
      return TRUE;
    }
  if (g_unlink (path) != 0)
    return set_io_error (error, errno, _("Could not remove %s"), path);
  return TRUE;
}

static gboolean
write_all (int          fd,
           const char  *data,
           gsize        len)
{
  while (len > 0)
    {
      ssize_t w = write (fd, data, len);
      if (w < 0)
        {
          if (errno == EINTR)
            continue;
          return FALSE;
        }
      data += w;
      len -= (gsize)w;
    }
  return TRUE;
}

static void
report (Writer   *w,
        gboolean  force)
{
  /* force: the first and last calls, which always come */
  DensitoExportProgress p;
  gint64 now = g_get_monotonic_time ();

  if (w->progress_func == NULL || (!force && now - w->last_report < PROGRESS_INTERVAL_US))
    return;
  w->last_report = now;

  g_mutex_lock (&w->mutex);
  p = w->progress;
  g_mutex_unlock (&w->mutex);
  /* Bytes dominate a copy; file count a hard-link export. */
  p.fraction = p.n_bytes > 0 ? 0.8 * (double)p.bytes_done / (double)p.n_bytes : 0.8;
  p.fraction += p.n_files > 0 ? 0.2 * (double)p.files_done / (double)p.n_files : 0.2;
  if (p.files_done == p.n_files)
    p.fraction = 1.0;
  w->progress_func (&p, w->progress_data);
}

/* Sidecars are read and rewritten by the writer threads, beside the image
 * copies: parsing them one after the other before any copy began was a
 * tenth of a 1,000-patient export. */
static gboolean
load_sidecar (Writer      *w,
              Job         *job,
              const char  *dst,
              GError     **error)
{
  g_autofree char *data = NULL;
  g_autofree char *new_image = NULL;
  g_autoptr(GError) local_error = NULL;
  DensitoSidecar *sidecar;
  gsize len;
  char *out;

  if (!g_file_get_contents (job->src, &data, &len, &local_error))
    {
      g_set_error (error, DENSITO_EXPORT_ERROR, DENSITO_EXPORT_ERROR_WRITE, "%s", local_error->message);
      return FALSE;
    }
  new_image = g_build_filename (w->root, "images", job->image->name, NULL);
  sidecar = densito_sidecar_load_from_data (data, len, new_image, dst, job->image->width,
                                            job->image->height, NULL);
  if (densito_sidecar_is_broken (sidecar))
    {
      g_object_unref (sidecar);
      job->left_out = TRUE;
      return TRUE;
    }
  out = densito_sidecar_to_data (sidecar, &len);
  job->data = g_bytes_new_take (out, len);
  /* Each job owns its image's slot; COCO reads them after the threads end. */
  job->image->sidecar = sidecar;
  return TRUE;
}

static gboolean
run_job (Writer  *w,
         Job     *job,
         char    *buf,
         GError **error)
{
  g_autofree char *dst = g_build_filename (w->root, job->rel, NULL);
  Sha256 sum;
  int in = -1;
  int out = -1;
  gboolean ok = FALSE;

  sha256_begin (&sum);
  if (job->kind == JOB_SIDECAR && !load_sidecar (w, job, dst, error))
    goto out;
  if (job->left_out)
    {
      ok = TRUE;
      goto out;
    }
  if (job->kind == JOB_DATA || job->kind == JOB_SIDECAR)
    {
      gsize len;
      const char *data = g_bytes_get_data (job->data, &len);

      out = g_open (dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
      if (out < 0 || !write_all (out, data, len))
        {
          set_io_error (error, errno, _("Could not write %s"), dst);
          goto out;
        }
      sha256_feed (&sum, (const guchar *)data, len);
      job->size = len;
      ok = TRUE;
      goto out;
    }

  if (w->try_links && !g_atomic_int_get (&w->links_fail))
    {
      /* the file a link in the dataset points at, not the link itself */
      if (linkat (AT_FDCWD, job->src, AT_FDCWD, dst, AT_SYMLINK_FOLLOW) == 0)
        job->linked = TRUE;
      else if (errno == EXDEV || errno == EPERM || errno == EMLINK || errno == ENOTSUP ||
               errno == EOPNOTSUPP || errno == EACCES)
        g_atomic_int_set (&w->links_fail, 1);
      else
        {
          set_io_error (error, errno, _("Could not link %s"), job->src);
          goto out;
        }
    }

  in = g_open (job->src, O_RDONLY | O_CLOEXEC, 0);
  if (in < 0)
    {
      set_io_error (error, errno, _("Could not read %s"), job->src);
      goto out;
    }
  if (!job->linked)
    {
      out = g_open (dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
      if (out < 0)
        {
          set_io_error (error, errno, _("Could not write %s"), dst);
          goto out;
        }
    }

  /* One pass: each block is hashed as it is written, so the manifest
   * holds the hash of the bytes in the export even if the source changes
   * meanwhile. copy_file_range() followed by a second read for the hash
   * copies every byte twice too, and took more CPU time (bench README). */
  job->size = 0;
  for (;;)
    {
      ssize_t r = read (in, buf, COPY_BLOCK);

      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        {
          set_io_error (error, errno, _("Could not read %s"), job->src);
          goto out;
        }
      if (r == 0)
        break;
      sha256_feed (&sum, (const guchar *)buf, (gsize)r);
      if (out >= 0 && !write_all (out, buf, (gsize)r))
        {
          set_io_error (error, errno, _("Could not write %s"), dst);
          goto out;
        }
      job->size += (guint64)r;
      g_mutex_lock (&w->mutex);
      w->progress.bytes_done += (guint64)r;
      g_mutex_unlock (&w->mutex);
      if (g_cancellable_set_error_if_cancelled (w->cancellable, error) || g_atomic_int_get (&w->abort))
        goto out;
    }
  ok = TRUE;

out:
  if (in >= 0)
    close (in);
  if (out >= 0 && close (out) != 0 && ok)
    ok = set_io_error (error, errno, _("Could not write %s"), dst);
  sha256_end (&sum, job->sha256);
  if (!ok)
    job->sha256[0] = '\0';
  return ok;
}

static gpointer
writer_thread (gpointer data)
{
  Writer *w = data;
  g_autofree char *buf = g_malloc (COPY_BLOCK);
  gboolean reporter = g_thread_self () == w->reporter;

  for (;;)
    {
      GError *error = NULL;
      guint i = (guint)g_atomic_int_add (&w->next, 1);
      Job *job;

      if (i >= w->jobs->len || g_atomic_int_get (&w->abort))
        break;
      job = g_ptr_array_index (w->jobs, i);
      if (g_cancellable_set_error_if_cancelled (w->cancellable, &error) || !run_job (w, job, buf, &error))
        {
          g_mutex_lock (&w->mutex);
          if (w->error == NULL && error != NULL)
            w->error = g_steal_pointer (&error);
          g_mutex_unlock (&w->mutex);
          g_clear_error (&error);
          g_atomic_int_set (&w->abort, 1);
          break;
        }
      g_mutex_lock (&w->mutex);
      w->progress.files_done++;
      if (job->kind != JOB_FILE)
        w->progress.bytes_done += job->planned;
      g_mutex_unlock (&w->mutex);
      if (reporter)
        report (w, FALSE);
    }
  return NULL;
}

static void
job_free (gpointer data)
{
  Job *job = data;

  g_free (job->rel);
  g_free (job->src);
  g_clear_pointer (&job->data, g_bytes_unref);
  g_free (job);
}

static Job *
add_data_job (GPtrArray  *jobs,
              const char *rel,
              char       *data,
              gsize       len)
{
  Job *job = g_new0 (Job, 1);

  job->kind = JOB_DATA;
  job->rel = g_strdup (rel);
  job->data = g_bytes_new_take (data, len);
  job->size = len;
  g_ptr_array_add (jobs, job);
  return job;
}

/* Runs every job on up to MAX_THREADS threads, the calling one included,
 * which alone reports progress. */
static gboolean
run_jobs (Writer  *w,
          GError **error)
{
  GThread *threads[MAX_THREADS] = { NULL };
  guint n_threads = CLAMP (g_get_num_processors (), 1, MAX_THREADS);

  w->reporter = g_thread_self ();
  for (guint t = 1; t < n_threads; t++)
    threads[t] = g_thread_new ("densito-export", writer_thread, w);
  writer_thread (w);
  for (guint t = 1; t < n_threads; t++)
    g_thread_join (threads[t]);

  if (w->error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&w->error));
      return FALSE;
    }
  return TRUE;
}

/* The target and its .partial folder */

/* The target must not exist, or be an empty folder (or a link to one).
 * An empty folder may hold only the .partial folder of an export into it
 * that was killed. *inside is set for an existing folder: the export is
 * then written in it and moved into place (a mount point or a folder in
 * a read-only parent cannot be renamed over, and the folder keeps its
 * owner and permissions). */
static gboolean
check_target (const char  *target,
              gboolean    *inside,
              GError     **error)
{
  GStatBuf st;
  g_autofree char *display = g_filename_display_name (target);
  g_autofree char *parent = g_path_get_dirname (target);

  *inside = FALSE;
  if (g_lstat (target, &st) == 0)
    {
      g_autoptr(GDir) dir = NULL;
      const char *name = NULL;

      if (S_ISDIR (st.st_mode) || (S_ISLNK (st.st_mode) && g_stat (target, &st) == 0 && S_ISDIR (st.st_mode)))
        dir = g_dir_open (target, 0, NULL);
      if (dir != NULL)
        {
          name = g_dir_read_name (dir);
          if (g_strcmp0 (name, DENSITO_EXPORT_INSIDE_PARTIAL) == 0)
            name = g_dir_read_name (dir);
        }
      if (dir == NULL || name != NULL)
        {
          g_set_error (error, DENSITO_EXPORT_ERROR, DENSITO_EXPORT_ERROR_TARGET_EXISTS,
                       _("%s already exists and is not an empty folder; choose a new folder"),
                       display);
          return FALSE;
        }
      *inside = TRUE;
      return TRUE;
    }
  else if (errno != ENOENT)
    return set_io_error (error, errno, _("Could not check %s"), target);

  if (!g_file_test (parent, G_FILE_TEST_IS_DIR))
    {
      g_autofree char *pdisplay = g_filename_display_name (parent);
      g_set_error (error, DENSITO_EXPORT_ERROR, DENSITO_EXPORT_ERROR_WRITE,
                   _("The folder %s does not exist"), pdisplay);
      return FALSE;
    }
  return TRUE;
}

/* A .partial folder left by an export that was killed is ours when it
 * holds the marker and nobody holds the marker's lock; it is removed.
 * Anything else there is refused, never removed. */
static gboolean
clear_partial (const char  *partial,
               GError     **error)
{
  g_autofree char *marker = g_build_filename (partial, DENSITO_EXPORT_MARKER, NULL);
  g_autofree char *display = g_filename_display_name (partial);
  GStatBuf st;
  int fd;

  if (g_lstat (partial, &st) != 0)
    return errno == ENOENT ? TRUE : set_io_error (error, errno, _("Could not check %s"), partial);

  fd = S_ISDIR (st.st_mode) ? g_open (marker, O_RDONLY | O_NOFOLLOW | O_CLOEXEC, 0) : -1;
  if (fd < 0)
    {
      g_set_error (error, DENSITO_EXPORT_ERROR, DENSITO_EXPORT_ERROR_PARTIAL_FOREIGN,
                   _("%s exists but was not left by a Densito export; remove it or choose "
                     "another target"), display);
      return FALSE;
    }
  if (flock (fd, LOCK_EX | LOCK_NB) != 0)
    {
      close (fd);
      g_set_error (error, DENSITO_EXPORT_ERROR, DENSITO_EXPORT_ERROR_BUSY,
                   _("Another export is writing into %s; wait for it to finish or choose "
                     "another target"), display);
      return FALSE;
    }
  g_debug ("Removing %s, left by an export that did not finish", partial);
  if (!remove_tree (partial, error))
    {
      close (fd);
      return FALSE;
    }
  close (fd);
  return TRUE;
}

static int
make_partial (const char  *partial,
              gboolean     images,
              GError     **error)
{
  g_autofree char *marker = g_build_filename (partial, DENSITO_EXPORT_MARKER, NULL);
  g_autofree char *images_dir = g_build_filename (partial, "images", NULL);
  static const char text[] = "A Densito export is being written here. If no export is running,\n"
                             "the next export to the same target removes this folder.\n";
  int fd;

  if (g_mkdir (partial, 0755) != 0)
    {
      set_io_error (error, errno, _("Could not create %s"), partial);
      return -1;
    }
  fd = g_open (marker, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0 || flock (fd, LOCK_EX | LOCK_NB) != 0 || !write_all (fd, text, sizeof text - 1))
    {
      set_io_error (error, errno, _("Could not write %s"), marker);
      if (fd >= 0)
        close (fd);
      return -1;
    }
  if (images && g_mkdir (images_dir, 0755) != 0)
    {
      set_io_error (error, errno, _("Could not create %s"), images_dir);
      close (fd);
      return -1;
    }
  return fd;
}

/* Contents */

static char *
patients_csv (DensitoDataset *dataset,
              Plan           *plan,
              gsize          *len)
{
  DensitoTable *table = densito_dataset_get_table (dataset);
  char delimiter = densito_table_get_delimiter (table);
  GString *out = g_string_sized_new (1 << 16);
  gboolean anonymize = (plan->flags & DENSITO_EXPORT_ANONYMIZE) != 0;

  densito_csv_append_header (out, table, "IMAGE_FILES", delimiter, TRUE);
  for (guint i = 0; i < plan->patients->len; i++)
    {
      PlanPatient *p = &g_array_index (plan->patients, PlanPatient, i);
      g_autofree char *files = NULL;

      g_ptr_array_add (p->files, NULL);
      files = g_strjoinv (";", (char **)p->files->pdata);
      g_ptr_array_remove_index (p->files, p->files->len - 1);
      densito_csv_append_row (out, table, p->row, anonymize ? p->id : NULL, files, delimiter, TRUE);
    }
  *len = out->len;
  return g_string_free (out, FALSE);
}

static char *
json_to_data (JsonBuilder *b,
              gsize       *len)
{
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = json_builder_get_root (b);

  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  json_generator_set_indent (gen, 2);
  return json_generator_to_data (gen, len);
}

static char *
now_iso8601 (void)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  return g_date_time_format (now, "%Y-%m-%dT%H:%M:%SZ");
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char **)a, *(const char **)b);
}

static char *
coco_json (DensitoDataset *dataset,
           Plan           *plan,
           guint          *n_annotations,
           gsize          *len)
{
  DensitoImageIndex *index = densito_dataset_get_images (dataset);
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(GHashTable) categories = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  g_autofree char *created = now_iso8601 ();
  guint image_id = 0;
  guint annotation_id = 0;

  /* One category per ROI label, numbered in order of name. */
  for (guint i = 0; i < plan->images->len; i++)
    {
      PlanImage *pi = &g_array_index (plan->images, PlanImage, i);
      for (guint r = 0; pi->sidecar && r < densito_sidecar_get_n_rois (pi->sidecar); r++)
        {
          const DensitoRoi *roi = densito_sidecar_get_roi (pi->sidecar, r);
          if (roi->kind == DENSITO_SHAPE_BOX && !g_hash_table_contains (categories, roi->label))
            {
              g_hash_table_add (categories, roi->label);
              g_ptr_array_add (names, roi->label);
            }
        }
    }
  g_ptr_array_sort (names, compare_strings);
  g_hash_table_remove_all (categories);
  for (guint i = 0; i < names->len; i++)
    g_hash_table_insert (categories, names->pdata[i], GUINT_TO_POINTER (i + 1));

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "info");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "description");
  json_builder_add_string_value (b, "Densito export");
  json_builder_set_member_name (b, "version");
  json_builder_add_string_value (b, PACKAGE_VERSION);
  json_builder_set_member_name (b, "date_created");
  json_builder_add_string_value (b, created);
  json_builder_set_member_name (b, "image_folder");
  json_builder_add_string_value (b, "images");
  json_builder_end_object (b);
  json_builder_set_member_name (b, "licenses");
  json_builder_begin_array (b);
  json_builder_end_array (b);

  json_builder_set_member_name (b, "categories");
  json_builder_begin_array (b);
  for (guint i = 0; i < names->len; i++)
    {
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "id");
      json_builder_add_int_value (b, i + 1);
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, names->pdata[i]);
      json_builder_set_member_name (b, "supercategory");
      json_builder_add_string_value (b, "roi");
      json_builder_end_object (b);
    }
  json_builder_end_array (b);

  json_builder_set_member_name (b, "images");
  json_builder_begin_array (b);
  for (guint i = 0; i < plan->images->len; i++)
    {
      PlanImage *pi = &g_array_index (plan->images, PlanImage, i);
      const DensitoImage *img = densito_image_index_get_image (index, pi->image);
      PlanPatient *p = &g_array_index (plan->patients, PlanPatient, pi->patient);

      /* COCO needs the size: an unreadable image is not listed. */
      if (pi->name == NULL || img->width == 0 || img->height == 0)
        continue;
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "id");
      json_builder_add_int_value (b, ++image_id);
      json_builder_set_member_name (b, "file_name");
      json_builder_add_string_value (b, pi->name);
      json_builder_set_member_name (b, "width");
      json_builder_add_int_value (b, img->width);
      json_builder_set_member_name (b, "height");
      json_builder_add_int_value (b, img->height);
      json_builder_set_member_name (b, "patient_id");
      json_builder_add_string_value (b, p->id);
      json_builder_set_member_name (b, "region");
      json_builder_add_string_value (b, densito_region_to_string (img->region));
      json_builder_set_member_name (b, "review");
      json_builder_add_string_value (b, densito_review_status_to_string (
        pi->sidecar ? densito_sidecar_get_review (pi->sidecar)->status : DENSITO_REVIEW_UNREVIEWED));
      json_builder_end_object (b);
    }
  json_builder_end_array (b);

  json_builder_set_member_name (b, "annotations");
  json_builder_begin_array (b);
  image_id = 0;
  for (guint i = 0; i < plan->images->len; i++)
    {
      PlanImage *pi = &g_array_index (plan->images, PlanImage, i);
      const DensitoImage *img = densito_image_index_get_image (index, pi->image);

      if (pi->name == NULL || img->width == 0 || img->height == 0)
        continue;
      image_id++;
      for (guint r = 0; pi->sidecar && r < densito_sidecar_get_n_rois (pi->sidecar); r++)
        {
          const DensitoRoi *roi = densito_sidecar_get_roi (pi->sidecar, r);
          double xy[8];
          double x0 = G_MAXDOUBLE, y0 = G_MAXDOUBLE, x1 = -G_MAXDOUBLE, y1 = -G_MAXDOUBLE;

          if (roi->kind != DENSITO_SHAPE_BOX)
            continue;
          densito_box_corners (&roi->box, xy);
          for (guint k = 0; k < 4; k++)
            {
              x0 = MIN (x0, xy[2 * k]);
              x1 = MAX (x1, xy[2 * k]);
              y0 = MIN (y0, xy[2 * k + 1]);
              y1 = MAX (y1, xy[2 * k + 1]);
            }
          /* The bounding box stays inside the image, as COCO wants. */
          x0 = CLAMP (x0, 0, img->width);
          x1 = CLAMP (x1, 0, img->width);
          y0 = CLAMP (y0, 0, img->height);
          y1 = CLAMP (y1, 0, img->height);
          if (x1 <= x0 || y1 <= y0)
            continue;

          json_builder_begin_object (b);
          json_builder_set_member_name (b, "id");
          json_builder_add_int_value (b, ++annotation_id);
          json_builder_set_member_name (b, "image_id");
          json_builder_add_int_value (b, image_id);
          json_builder_set_member_name (b, "category_id");
          json_builder_add_int_value (b, GPOINTER_TO_UINT (g_hash_table_lookup (categories, roi->label)));
          json_builder_set_member_name (b, "bbox");
          json_builder_begin_array (b);
          json_builder_add_double_value (b, x0);
          json_builder_add_double_value (b, y0);
          json_builder_add_double_value (b, x1 - x0);
          json_builder_add_double_value (b, y1 - y0);
          json_builder_end_array (b);
          json_builder_set_member_name (b, "area");
          json_builder_add_double_value (b, roi->box.width * roi->box.height);
          json_builder_set_member_name (b, "segmentation");
          json_builder_begin_array (b);
          json_builder_begin_array (b);
          for (guint k = 0; k < 8; k++)
            json_builder_add_double_value (b, xy[k]);
          json_builder_end_array (b);
          json_builder_end_array (b);
          json_builder_set_member_name (b, "iscrowd");
          json_builder_add_int_value (b, 0);
          json_builder_set_member_name (b, "angle");
          json_builder_add_double_value (b, roi->box.angle);
          json_builder_end_object (b);
        }
    }
  json_builder_end_array (b);
  json_builder_end_object (b);

  *n_annotations = annotation_id;
  return json_to_data (b, len);
}

static int
compare_jobs (gconstpointer a,
              gconstpointer b)
{
  const Job *ja = *(const Job **)a;
  const Job *jb = *(const Job **)b;

  return strcmp (ja->rel, jb->rel);
}

static char *
manifest_json (DensitoDataset *dataset,
               DensitoQuery   *query,
               Plan           *plan,
               GPtrArray      *jobs,
               GHashTable     *image_jobs,
               guint           n_sidecars,
               guint           n_rois,
               guint           n_annotations,
               gsize          *len)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(GPtrArray) sorted = g_ptr_array_sized_new (jobs->len);
  g_autofree char *created = now_iso8601 ();
  gboolean anonymize = (plan->flags & DENSITO_EXPORT_ANONYMIZE) != 0;
  gboolean annotations = densito_dataset_get_images (dataset) != NULL &&
                         !(plan->flags & (DENSITO_EXPORT_NO_ANNOTATIONS | DENSITO_EXPORT_NO_IMAGES));
  guint n_linked = 0;

  for (guint i = 0; i < jobs->len; i++)
    {
      if (((Job *)jobs->pdata[i])->left_out)
        continue;
      /* not g_ptr_array_copy(), which would take the free function too */
      g_ptr_array_add (sorted, jobs->pdata[i]);
      if (((Job *)jobs->pdata[i])->linked)
        n_linked++;
    }
  g_ptr_array_sort (sorted, compare_jobs);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "format");
  json_builder_add_string_value (b, "densito-export");
  json_builder_set_member_name (b, "format_version");
  json_builder_add_int_value (b, MANIFEST_VERSION);
  json_builder_set_member_name (b, "app");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, "Densito");
  json_builder_set_member_name (b, "version");
  json_builder_add_string_value (b, PACKAGE_VERSION);
  json_builder_end_object (b);
  json_builder_set_member_name (b, "created");
  json_builder_add_string_value (b, created);
  json_builder_set_member_name (b, "query");
  json_builder_add_string_value (b, query ? densito_query_get_text (query) : "");
  if (!anonymize)
    {
      /* A path can name a person; an anonymised export leaves it out. */
      json_builder_set_member_name (b, "source");
      json_builder_add_string_value (b, densito_dataset_get_path (dataset));
    }

  json_builder_set_member_name (b, "options");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "anonymized");
  json_builder_add_boolean_value (b, anonymize);
  json_builder_set_member_name (b, "coco");
  json_builder_add_boolean_value (b, (plan->flags & DENSITO_EXPORT_COCO) && annotations);
  json_builder_set_member_name (b, "images");
  json_builder_add_boolean_value (b, (plan->flags & DENSITO_EXPORT_NO_IMAGES) == 0);
  json_builder_set_member_name (b, "annotations");
  json_builder_add_boolean_value (b, annotations);
  json_builder_end_object (b);

  json_builder_set_member_name (b, "counts");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "patients");
  json_builder_add_int_value (b, plan->summary.patients);
  json_builder_set_member_name (b, "images");
  json_builder_add_int_value (b, plan->summary.images);
  json_builder_set_member_name (b, "images_hard_linked");
  json_builder_add_int_value (b, n_linked);
  json_builder_set_member_name (b, "images_copied");
  json_builder_add_int_value (b, plan->summary.images - n_linked);
  json_builder_set_member_name (b, "sidecars");
  json_builder_add_int_value (b, n_sidecars);
  json_builder_set_member_name (b, "sidecars_unreadable_left_out");
  json_builder_add_int_value (b, plan->sidecars_unreadable);
  json_builder_set_member_name (b, "rois");
  json_builder_add_int_value (b, n_rois);
  json_builder_set_member_name (b, "coco_annotations");
  json_builder_add_int_value (b, n_annotations);
  json_builder_set_member_name (b, "patient_ids_like_national_id");
  json_builder_add_int_value (b, plan->summary.pii_patient_ids);
  json_builder_end_object (b);

  /* Which images were named like a national ID: their new name, or for
   * those left out only the content hash, never the old name. */
  json_builder_set_member_name (b, "personal_id_images");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "renamed");
  json_builder_begin_array (b);
  for (guint i = 0; i < plan->images->len; i++)
    {
      PlanImage *pi = &g_array_index (plan->images, PlanImage, i);
      Job *job = pi->name ? g_hash_table_lookup (image_jobs, pi->name) : NULL;

      if (!pi->pii || job == NULL)
        continue;
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "file");
      json_builder_add_string_value (b, job->rel);
      json_builder_set_member_name (b, "sha256");
      json_builder_add_string_value (b, job->sha256);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "left_out");
  json_builder_begin_array (b);
  for (guint i = 0; i < plan->images->len; i++)
    {
      PlanImage *pi = &g_array_index (plan->images, PlanImage, i);
      const DensitoImage *img;
      g_autofree char *data = NULL;
      g_autofree char *sum = NULL;
      gsize n;

      if (!pi->pii || pi->name != NULL)
        continue;
      img = densito_image_index_get_image (densito_dataset_get_images (dataset), pi->image);
      if (g_file_get_contents (img->path, &data, &n, NULL))
        sum = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *)data, n);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "sha256");
      if (sum != NULL)
        json_builder_add_string_value (b, sum);
      else
        json_builder_add_null_value (b);
      json_builder_set_member_name (b, "reason");
      json_builder_add_string_value (b, "the patient ID is itself like a national ID; "
                                        "export with anonymise to include it under a new name");
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);

  json_builder_set_member_name (b, "files");
  json_builder_begin_array (b);
  for (guint i = 0; i < sorted->len; i++)
    {
      Job *job = sorted->pdata[i];

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "path");
      json_builder_add_string_value (b, job->rel);
      json_builder_set_member_name (b, "bytes");
      json_builder_add_int_value (b, (gint64)job->size);
      json_builder_set_member_name (b, "sha256");
      json_builder_add_string_value (b, job->sha256);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);

  return json_to_data (b, len);
}

static void
fsync_folder (const char *path)
{
  int dir_fd = g_open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);

  if (dir_fd >= 0)
    {
      fsync (dir_fd);
      close (dir_fd);
    }
}

/* An export written inside an existing folder: its entries are renamed
 * into the folder, the manifest last, so that an export is complete when
 * its manifest is there; the marker stays until all are moved. */
static gboolean
move_into (const char  *partial,
           const char  *target,
           GError     **error)
{
  static const char * const order[] = { "patients.csv", "images", "annotations.coco.json", "manifest.json" };
  g_autofree char *marker = g_build_filename (partial, DENSITO_EXPORT_MARKER, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (order); i++)
    {
      g_autofree char *from = g_build_filename (partial, order[i], NULL);
      g_autofree char *to = g_build_filename (target, order[i], NULL);

      if (g_rename (from, to) != 0 && errno != ENOENT)
        {
          set_io_error (error, errno, _("Could not move the finished export into %s"), target);
          /* back, so that the clean-up takes all of it */
          while (i-- > 0)
            {
              g_autofree char *back_from = g_build_filename (target, order[i], NULL);
              g_autofree char *back_to = g_build_filename (partial, order[i], NULL);

              g_rename (back_from, back_to);
            }
          return FALSE;
        }
    }
  /* The export is in place: a .partial left behind (the next export
   * removes it) is not worth calling it failed. */
  if (g_unlink (marker) != 0 || g_rmdir (partial) != 0)
    g_warning ("Could not remove %s: %s", partial, g_strerror (errno));
  fsync_folder (target);
  return TRUE;
}

static gboolean
sync_and_rename (const char  *partial,
                 const char  *target,
                 gboolean     inside,
                 int          marker_fd,
                 GError     **error)
{
  g_autofree char *marker = g_build_filename (partial, DENSITO_EXPORT_MARKER, NULL);
  g_autofree char *parent = g_path_get_dirname (target);

  /* Everything on disk before the name appears, so that even a power cut
   * cannot leave a complete-looking export with empty files. */
  if (syncfs (marker_fd) != 0)
    return set_io_error (error, errno, _("Could not flush %s to disk"), partial);
  if (inside)
    return move_into (partial, target, error);
  if (g_unlink (marker) != 0)
    return set_io_error (error, errno, _("Could not remove %s"), marker);
  if (g_rename (partial, target) != 0)
    return set_io_error (error, errno, _("Could not rename the finished export to %s"), target);
  fsync_folder (parent);
  return TRUE;
}

static DensitoExportResult *
export_plan (DensitoDataset             *dataset,
             DensitoQuery               *query,
             const char                 *target,
             DensitoExportFlags          flags,
             GCancellable               *cancellable,
             DensitoExportProgressFunc   progress,
             gpointer                    progress_data,
             GError                    **error)
{
  DensitoImageIndex *index = densito_dataset_get_images (dataset);
  g_autoptr(Plan) plan = NULL;
  g_autoptr(GPtrArray) jobs = g_ptr_array_new_with_free_func (job_free);
  g_autoptr(GHashTable) image_jobs = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) sidecar_rels = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GPtrArray) unreadable = g_ptr_array_new_with_free_func (g_free);   /* sidecars left out */
  g_autoptr(GCancellable) own_cancellable = NULL;
  g_autofree char *abs_target = NULL;
  g_autofree char *partial = NULL;
  g_autoptr(GError) cleanup_error = NULL;
  DensitoExportResult *result;
  Writer w = { 0 };
  gboolean with_images = index != NULL && !(flags & DENSITO_EXPORT_NO_IMAGES);
  /* Sidecars go beside the images, and COCO is made from them: neither
   * without the images. */
  gboolean annotations = with_images && !(flags & DENSITO_EXPORT_NO_ANNOTATIONS);
  gboolean with_coco = (flags & DENSITO_EXPORT_COCO) && annotations;
  guint n_rois = 0;
  guint n_annotations = 0;
  guint n_sidecars = 0;
  int marker_fd;
  gboolean inside;
  gboolean ok = TRUE;

  abs_target = g_canonicalize_filename (target, NULL);

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;
  if (!check_target (abs_target, &inside, error))
    return NULL;
  /* (canonical: a trailing slash would make "dir/.partial") */
  partial = inside ? g_build_filename (abs_target, DENSITO_EXPORT_INSIDE_PARTIAL, NULL)
                   : g_strconcat (abs_target, ".partial", NULL);
  if (!clear_partial (partial, error))
    return NULL;

  plan = plan_new (dataset, query, flags);
  /* An empty export is refused for every caller, before anything is made. */
  if (plan->summary.patients == 0)
    {
      g_set_error (error, DENSITO_EXPORT_ERROR, DENSITO_EXPORT_ERROR_NO_PATIENTS,
                   _("no patients match “%s”; nothing was exported"), query ? densito_query_get_text (query) : "");
      return NULL;
    }

  marker_fd = make_partial (partial, with_images, error);
  if (marker_fd < 0)
    {
      remove_tree (partial, NULL);
      return NULL;
    }

  {
    gsize len;
    char *csv = patients_csv (dataset, plan, &len);
    add_data_job (jobs, "patients.csv", csv, len);
  }

  /* Each image, then its sidecar: the writer threads take them in this
   * order, so one parses a sidecar while the other copies an image. */
  for (guint i = 0; with_images && i < plan->images->len; i++)
    {
      PlanImage *pi = &g_array_index (plan->images, PlanImage, i);
      const DensitoImage *img = densito_image_index_get_image (index, pi->image);
      g_autofree char *sidecar = NULL;
      g_autofree char *stem = NULL;
      g_autofree char *rel = NULL;
      const char *dot;
      Job *job;
      GStatBuf st;

      if (pi->name == NULL)
        continue;
      job = g_new0 (Job, 1);
      job->kind = JOB_FILE;
      job->rel = g_strconcat ("images/", pi->name, NULL);
      job->src = g_strdup (img->path);
      job->size = g_stat (img->path, &st) == 0 ? (guint64)st.st_size : 0;
      g_ptr_array_add (jobs, job);
      g_hash_table_insert (image_jobs, pi->name, job);

      if (!annotations)
        continue;
      sidecar = densito_dataset_dup_sidecar_path (dataset, pi->image);
      if (g_stat (sidecar, &st) != 0)
        {
          if (errno == ENOENT)
            continue;
          ok = set_io_error (error, errno, _("Could not read %s"), sidecar);
          break;
        }
      dot = strrchr (pi->name, '.');
      stem = dot ? g_strndup (pi->name, (gsize)(dot - pi->name)) : g_strdup (pi->name);
      rel = g_strconcat ("images/", stem, ".json", NULL);
      /* a.png and a.jpg share one sidecar in the dataset too */
      if (!g_hash_table_add (sidecar_rels, g_strdup (rel)))
        continue;
      job = g_new0 (Job, 1);
      job->kind = JOB_SIDECAR;
      job->rel = g_steal_pointer (&rel);
      job->src = g_steal_pointer (&sidecar);
      job->image = pi;
      job->size = (guint64)st.st_size;
      g_ptr_array_add (jobs, job);
    }

  if (ok)
    {
      own_cancellable = cancellable ? g_object_ref (cancellable) : g_cancellable_new ();
      w.jobs = jobs;
      w.root = partial;
      w.try_links = !(flags & DENSITO_EXPORT_COPY);
      w.cancellable = own_cancellable;
      w.progress_func = progress;
      w.progress_data = progress_data;
      g_mutex_init (&w.mutex);
      /* The COCO file and the manifest come after the threads. */
      w.progress.n_files = jobs->len + 1 + (with_coco ? 1 : 0);
      for (guint i = 0; i < jobs->len; i++)
        ((Job *)jobs->pdata[i])->planned = ((Job *)jobs->pdata[i])->size;
      for (guint i = 0; i < jobs->len; i++)
        w.progress.n_bytes += ((Job *)jobs->pdata[i])->size;
      report (&w, TRUE);
      ok = run_jobs (&w, error);
    }

  if (ok)
    for (guint i = 0; i < jobs->len; i++)
      {
        Job *job = jobs->pdata[i];

        if (job->kind != JOB_SIDECAR)
          continue;
        if (job->left_out)
          g_ptr_array_add (unreadable, g_strdup (job->src));
        else
          {
            n_sidecars++;
            n_rois += densito_sidecar_get_n_rois (job->image->sidecar);
          }
      }
  plan->sidecars_unreadable = unreadable->len;

  if (ok && with_coco)
    {
      gsize len;
      char *coco = coco_json (dataset, plan, &n_annotations, &len);
      Job *job = add_data_job (jobs, "annotations.coco.json", coco, len);
      g_autofree char *buf = g_malloc (COPY_BLOCK);

      ok = run_job (&w, job, buf, error);
      w.progress.files_done++;
    }

  if (ok)
    {
      gsize len;
      char *manifest = manifest_json (dataset, query, plan, jobs, image_jobs, n_sidecars, n_rois,
                                      n_annotations, &len);
      Job *job = g_new0 (Job, 1);
      g_autofree char *buf = g_malloc (COPY_BLOCK);

      job->kind = JOB_DATA;
      job->rel = g_strdup ("manifest.json");
      job->data = g_bytes_new_take (manifest, len);
      ok = run_job (&w, job, buf, error);
      job_free (job);
      w.progress.files_done++;
    }

  ok = ok && !g_cancellable_set_error_if_cancelled (cancellable, error);
  if (ok)
    {
      /* The wait for the disk is said, not shown as a full bar that hangs. */
      g_mutex_lock (&w.mutex);
      w.progress.flushing = TRUE;
      g_mutex_unlock (&w.mutex);
      report (&w, TRUE);
      ok = sync_and_rename (partial, abs_target, inside, marker_fd, error);
    }

  if (!ok)
    {
      /* Nothing under the final name; and no .partial either when we can. */
      if (!remove_tree (partial, &cleanup_error))
        g_warning ("%s", cleanup_error->message);
      else if (error != NULL && *error != NULL && (*error)->domain == DENSITO_EXPORT_ERROR)
        g_prefix_error (error, _("Nothing was exported. "));
    }
  close (marker_fd);
  if (ok)
    {
      w.progress.files_done = w.progress.n_files;
      w.progress.bytes_done = w.progress.n_bytes;
      w.progress.flushing = FALSE;
      w.last_report = 0;
      report (&w, TRUE);
    }
  if (w.jobs != NULL)
    g_mutex_clear (&w.mutex);
  if (!ok)
    return NULL;

  result = g_new0 (DensitoExportResult, 1);
  result->target = g_steal_pointer (&abs_target);
  result->summary = plan->summary;
  result->n_files = 1;   /* the manifest */
  for (guint i = 0; i < jobs->len; i++)
    if (!((Job *)jobs->pdata[i])->left_out)
      result->n_files++;
  result->n_sidecars = n_sidecars;
  result->unreadable = g_steal_pointer (&unreadable);
  for (guint i = 0; i < jobs->len; i++)
    {
      Job *job = jobs->pdata[i];
      if (job->kind == JOB_FILE)
        {
          if (job->linked)
            result->n_linked++;
          else
            result->n_copied++;
        }
    }
  result->mapping = g_steal_pointer (&plan->mapping);
  result->mapping_ids = g_steal_pointer (&plan->mapping_ids);
  return result;
}

/**
 * densito_export:
 * @query: (nullable): which patients; %NULL for all
 * @target: the folder to create; it must not exist, or be empty
 * @progress: (nullable): called on this thread, at most every 50 ms
 *
 * Exports the patients @query selects into @target, all or nothing.
 * Blocking; the dataset must not change while it runs.
 *
 * Returns: (transfer full): what was written, or %NULL with @error set
 *   (G_IO_ERROR_CANCELLED when cancelled)
 */
DensitoExportResult *
densito_export (DensitoDataset             *dataset,
                DensitoQuery               *query,
                const char                 *target,
                DensitoExportFlags          flags,
                GCancellable               *cancellable,
                DensitoExportProgressFunc   progress,
                gpointer                    progress_data,
                GError                    **error)
{
  g_return_val_if_fail (DENSITO_IS_DATASET (dataset), NULL);
  g_return_val_if_fail (target != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return export_plan (dataset, query, target, flags, cancellable, progress, progress_data, error);
}

typedef struct
{
  char                      *query;
  char                      *target;
  DensitoExportFlags         flags;
  DensitoExportProgressFunc  progress;
  gpointer                   progress_data;
} ExportData;

static void
export_data_free (gpointer data)
{
  ExportData *d = data;

  g_free (d->query);
  g_free (d->target);
  g_free (d);
}

static void
export_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  ExportData *d = task_data;
  g_autoptr(DensitoQuery) query = NULL;
  GError *error = NULL;
  DensitoExportResult *result;

  if (d->query != NULL && (query = densito_query_parse (d->query, &error)) == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  result = export_plan (source_object, query, d->target, d->flags, cancellable, d->progress,
                        d->progress_data, &error);
  if (result == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, result, (GDestroyNotify)densito_export_result_free);
}

/**
 * densito_export_async:
 *
 * densito_export() in a worker thread. @progress is called on that
 * thread: hand it to the main thread (one idle source) before touching
 * widgets. The dataset must not change until @callback runs.
 */
void
densito_export_async (DensitoDataset             *dataset,
                      DensitoQuery               *query,
                      const char                 *target,
                      DensitoExportFlags          flags,
                      GCancellable               *cancellable,
                      DensitoExportProgressFunc   progress,
                      gpointer                    progress_data,
                      GAsyncReadyCallback         callback,
                      gpointer                    user_data)
{
  g_autoptr(GTask) task = NULL;
  ExportData *d;

  g_return_if_fail (DENSITO_IS_DATASET (dataset));
  g_return_if_fail (target != NULL);

  d = g_new0 (ExportData, 1);
  d->query = query ? g_strdup (densito_query_get_text (query)) : NULL;
  d->target = g_strdup (target);
  d->flags = flags;
  d->progress = progress;
  d->progress_data = progress_data;

  task = g_task_new (dataset, cancellable, callback, user_data);
  g_task_set_source_tag (task, densito_export_async);
  /* The worker says whether the export happened: a cancel that comes
   * after the rename cannot undo it, so it must not turn a finished
   * export into a "cancelled" one. */
  g_task_set_check_cancellable (task, FALSE);
  g_task_set_task_data (task, d, export_data_free);
  g_task_run_in_thread (task, export_thread);
}

DensitoExportResult *
densito_export_finish (GAsyncResult  *result,
                       GError       **error)
{
  g_return_val_if_fail (G_IS_TASK (result), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == densito_export_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Results */

void
densito_export_result_free (DensitoExportResult *result)
{
  if (result == NULL)
    return;
  g_free (result->target);
  g_clear_pointer (&result->unreadable, g_ptr_array_unref);
  g_clear_pointer (&result->mapping_ids, g_ptr_array_unref);
  g_clear_pointer (&result->mapping, g_hash_table_unref);
  g_free (result);
}

const char *
densito_export_result_get_target (DensitoExportResult *result)
{
  g_return_val_if_fail (result != NULL, NULL);
  return result->target;
}

const DensitoExportSummary *
densito_export_result_get_summary (DensitoExportResult *result)
{
  g_return_val_if_fail (result != NULL, NULL);
  return &result->summary;
}

/* Every file written, the manifest included. */
guint
densito_export_result_get_n_files (DensitoExportResult *result)
{
  g_return_val_if_fail (result != NULL, 0);
  return result->n_files;
}

guint
densito_export_result_get_n_linked (DensitoExportResult *result)
{
  g_return_val_if_fail (result != NULL, 0);
  return result->n_linked;
}

guint
densito_export_result_get_n_copied (DensitoExportResult *result)
{
  g_return_val_if_fail (result != NULL, 0);
  return result->n_copied;
}

/**
 * densito_export_result_lookup_id:
 *
 * Returns: (nullable): the new ID of @original_id in an anonymised export
 */
const char *
densito_export_result_lookup_id (DensitoExportResult *result,
                                 const char          *original_id)
{
  g_return_val_if_fail (result != NULL, NULL);
  return result->mapping ? g_hash_table_lookup (result->mapping, original_id) : NULL;
}

/**
 * densito_export_result_get_unreadable:
 *
 * Returns: (transfer none) (element-type filename): the sidecars that
 *   could not be read and were left out (their images are exported
 *   without them), by their path in the dataset
 */
GPtrArray *
densito_export_result_get_unreadable (DensitoExportResult *result)
{
  g_return_val_if_fail (result != NULL, NULL);
  return result->unreadable;
}

static gboolean
is_inside (const char *path,
           const char *folder)
{
  gsize n = strlen (folder);

  return strncmp (path, folder, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

/**
 * densito_export_check_mapping_path:
 * @target: the export's folder, finished or not yet made
 * @path: where the ID mapping is to go
 *
 * Refuses a mapping file inside the export, which would undo the
 * anonymisation; a caller can check before it starts the export.
 */
gboolean
densito_export_check_mapping_path (const char  *target,
                                   const char  *path,
                                   GError     **error)
{
  g_autofree char *abs_path = NULL;
  g_autofree char *abs_target = NULL;
  g_autofree char *parent = NULL;
  g_autofree char *real_parent = NULL;
  g_autofree char *real_target = NULL;

  g_return_val_if_fail (target != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  abs_path = g_canonicalize_filename (path, NULL);
  abs_target = g_canonicalize_filename (target, NULL);
  parent = g_path_get_dirname (abs_path);
  real_parent = realpath (parent, NULL);
  real_target = realpath (abs_target, NULL);
  if (is_inside (abs_path, abs_target) ||
      (real_parent && real_target && is_inside (real_parent, real_target)))
    {
      g_set_error (error, DENSITO_EXPORT_ERROR, DENSITO_EXPORT_ERROR_MAPPING,
                   _("The ID mapping must not be saved inside the anonymised export; "
                     "choose a file elsewhere"));
      return FALSE;
    }
  return TRUE;
}

/**
 * densito_export_result_save_mapping:
 * @path: a file outside the export
 *
 * Saves the ID mapping of an anonymised export (ORIGINAL_ID,EXPORT_ID),
 * readable by the owner only.
 */
gboolean
densito_export_result_save_mapping (DensitoExportResult  *result,
                                    const char           *path,
                                    GError              **error)
{
  g_autofree char *abs_path = NULL;
  g_autoptr(GString) out = NULL;

  g_return_val_if_fail (result != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  if (result->mapping == NULL)
    {
      g_set_error (error, DENSITO_EXPORT_ERROR, DENSITO_EXPORT_ERROR_MAPPING,
                   _("The export was not anonymised: there is no ID mapping to save"));
      return FALSE;
    }
  if (!densito_export_check_mapping_path (result->target, path, error))
    return FALSE;

  abs_path = g_canonicalize_filename (path, NULL);
  out = g_string_new ("ORIGINAL_ID,EXPORT_ID\n");
  for (guint i = 0; i < result->mapping_ids->len; i++)
    {
      const char *id = result->mapping_ids->pdata[i];

      densito_csv_append_field (out, id, ',', TRUE);
      g_string_append_c (out, ',');
      g_string_append (out, g_hash_table_lookup (result->mapping, id));
      g_string_append_c (out, '\n');
    }
  return g_file_set_contents_full (abs_path, out->str, (gssize)out->len,
                                   G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                   0600, error);
}
