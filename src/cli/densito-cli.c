/* densito-cli.c
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The command line: `densito validate`, `densito list` and `densito export`. It needs no
 * display and uses the same core as the application.
 */
#include "config.h"

#include <glib-unix.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "densito-cli.h"
#include "densito-dataset.h"
#include "densito-export.h"
#include "densito-query.h"

#define EXIT_CLEAN 0
#define EXIT_DIAGNOSTICS 1
#define EXIT_FATAL 2

typedef struct
{
  guint count[DENSITO_N_SITES + 1][4];
} ClassCounts;

static int
fail (const char *message)
{
  g_printerr ("densito: %s\n", message);
  return EXIT_FATAL;
}

static int G_GNUC_PRINTF (1, 2)
fail_printf (const char *format,
             ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  return fail (message);
}

static int
fail_error (GError *error)
{
  return fail (error->message);
}

static void
count_classes (DensitoTable *table,
               ClassCounts  *counts)
{
  guint n = densito_table_get_n_rows (table);

  memset (counts, 0, sizeof *counts);
  for (guint r = 0; r < n; r++)
    {
      for (guint s = 0; s < DENSITO_N_SITES; s++)
        counts->count[s][densito_table_get_site_class (table, r, s)]++;
      counts->count[DENSITO_N_SITES][densito_table_get_class (table, r, NULL)]++;
    }
}

static GPtrArray *
unknown_columns (DensitoTable *table)
{
  GPtrArray *names = g_ptr_array_new ();

  for (guint c = 0; c < densito_table_get_n_columns (table); c++)
    if (densito_table_get_column_field (table, c) == DENSITO_FIELD_OTHER)
      g_ptr_array_add (names, (gpointer)densito_table_get_column_name (table, c));
  return names;
}

static const char *class_keys[4] = { "missing", "normal", "osteopenia", "osteoporosis" };
static const char *site_keys[DENSITO_N_SITES + 1] = { "spine", "hip", "neck", "overall" };

static char *
validate_json (DensitoDataset *dataset)
{
  DensitoTable *table = densito_dataset_get_table (dataset);
  DensitoImageIndex *images = densito_dataset_get_images (dataset);
  DensitoDiagnostics *diags = densito_dataset_get_diagnostics (dataset);
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GPtrArray) unknown = unknown_columns (table);
  DensitoImageCounts ic = { 0 };
  ClassCounts cc;
  guint n = densito_table_get_n_rows (table);

  if (images != NULL)
    densito_image_index_get_counts (images, &ic);
  count_classes (table, &cc);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "path");
  json_builder_add_string_value (b, densito_dataset_get_path (dataset));
  json_builder_set_member_name (b, "table");
  json_builder_add_string_value (b, densito_table_get_path (table));
  json_builder_set_member_name (b, "image_folder");
  if (images != NULL)
    json_builder_add_string_value (b, densito_image_index_get_directory (images));
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "patients");
  json_builder_add_int_value (b, n);

  json_builder_set_member_name (b, "columns");
  json_builder_begin_array (b);
  for (guint c = 0; c < densito_table_get_n_columns (table); c++)
    json_builder_add_string_value (b, densito_table_get_column_name (table, c));
  json_builder_end_array (b);

  json_builder_set_member_name (b, "unknown_columns");
  json_builder_begin_array (b);
  for (guint i = 0; i < unknown->len; i++)
    json_builder_add_string_value (b, g_ptr_array_index (unknown, i));
  json_builder_end_array (b);

  json_builder_set_member_name (b, "images");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "total");
  json_builder_add_int_value (b, ic.total);
  json_builder_set_member_name (b, "linked");
  json_builder_add_int_value (b, ic.linked);
  json_builder_set_member_name (b, "unlinked");
  json_builder_add_int_value (b, ic.unlinked);
  json_builder_set_member_name (b, "unreadable");
  json_builder_add_int_value (b, ic.unreadable);
  json_builder_set_member_name (b, "possible_personal_id");
  json_builder_add_int_value (b, ic.possible_personal_id);
  json_builder_end_object (b);

  {
    DensitoAnnotationCounts ac;

    densito_dataset_get_annotation_counts (dataset, &ac);
    json_builder_set_member_name (b, "annotations");
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "folder");
    if (densito_dataset_get_annotations_dir (dataset) != NULL)
      json_builder_add_string_value (b, densito_dataset_get_annotations_dir (dataset));
    else
      json_builder_add_null_value (b);
    json_builder_set_member_name (b, "images_with_sidecar");
    json_builder_add_int_value (b, ac.with_sidecar);
    json_builder_set_member_name (b, "rois");
    json_builder_add_int_value (b, ac.rois);
    json_builder_set_member_name (b, "broken");
    json_builder_add_int_value (b, ac.broken);
    json_builder_set_member_name (b, "review");
    json_builder_begin_object (b);
    for (guint r = 0; r <= DENSITO_REVIEW_EXCLUDED; r++)
      {
        json_builder_set_member_name (b, densito_review_status_to_string (r));
        json_builder_add_int_value (b, ac.review[r]);
      }
    json_builder_end_object (b);
    json_builder_end_object (b);
  }

  json_builder_set_member_name (b, "classes");
  json_builder_begin_object (b);
  for (guint s = 0; s <= DENSITO_N_SITES; s++)
    {
      json_builder_set_member_name (b, site_keys[s]);
      json_builder_begin_object (b);
      for (guint k = 1; k <= 4; k++)
        {
          guint c = k % 4;
          json_builder_set_member_name (b, class_keys[c]);
          json_builder_add_int_value (b, cc.count[s][c]);
        }
      json_builder_end_object (b);
    }
  json_builder_end_object (b);

  json_builder_set_member_name (b, "label_disagreements");
  json_builder_begin_array (b);
  for (guint r = 0; r < n; r++)
    if (densito_table_get_agreement (table, r) == DENSITO_AGREES_NO)
      json_builder_add_string_value (b, densito_table_get_id (table, r));
  json_builder_end_array (b);

  json_builder_set_member_name (b, "not_applicable");
  json_builder_begin_array (b);
  for (guint r = 0; r < n; r++)
    if (densito_table_get_applicability (table, r, NULL) == DENSITO_APPLICABLE_NO)
      json_builder_add_string_value (b, densito_table_get_id (table, r));
  json_builder_end_array (b);

  json_builder_set_member_name (b, "diagnostics");
  json_builder_begin_array (b);
  for (guint i = 0; i < densito_diagnostics_get_n (diags); i++)
    {
      const DensitoDiagnostic *d = densito_diagnostics_get (diags, i);
      g_autofree char *msg = densito_diagnostic_dup_message (d);

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "file");
      json_builder_add_string_value (b, d->file);
      json_builder_set_member_name (b, "row");
      if (d->row > 0)
        json_builder_add_int_value (b, d->row);
      else
        json_builder_add_null_value (b);
      json_builder_set_member_name (b, "column");
      if (d->column)
        json_builder_add_string_value (b, d->column);
      else
        json_builder_add_null_value (b);
      json_builder_set_member_name (b, "value");
      if (d->value)
        json_builder_add_string_value (b, d->value);
      else
        json_builder_add_null_value (b);
      json_builder_set_member_name (b, "code");
      json_builder_add_string_value (b, densito_diag_code_to_string (d->code));
      json_builder_set_member_name (b, "message");
      json_builder_add_string_value (b, msg);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  return json_generator_to_data (gen, NULL);
}

static void
print_id_list (const char   *title,
               DensitoTable *table,
               GArray       *rows)
{
  g_print ("%s: %u", title, rows->len);
  for (guint i = 0; i < rows->len && i < 20; i++)
    g_print ("%s%s", i == 0 ? " (" : ", ", densito_table_get_id (table, g_array_index (rows, guint, i)));
  if (rows->len > 20)
    g_print (", …");
  if (rows->len > 0)
    g_print (")");
  g_print ("\n");
}

static void
validate_text (DensitoDataset *dataset)
{
  DensitoTable *table = densito_dataset_get_table (dataset);
  DensitoImageIndex *images = densito_dataset_get_images (dataset);
  DensitoDiagnostics *diags = densito_dataset_get_diagnostics (dataset);
  g_autoptr(GPtrArray) unknown = unknown_columns (table);
  g_autoptr(GArray) disagree = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr(GArray) not_applicable = g_array_new (FALSE, FALSE, sizeof (guint));
  DensitoImageCounts ic = { 0 };
  ClassCounts cc;
  guint n = densito_table_get_n_rows (table);
  guint n_diags = densito_diagnostics_get_n (diags);

  count_classes (table, &cc);
  for (guint r = 0; r < n; r++)
    {
      if (densito_table_get_agreement (table, r) == DENSITO_AGREES_NO)
        g_array_append_val (disagree, r);
      if (densito_table_get_applicability (table, r, NULL) == DENSITO_APPLICABLE_NO)
        g_array_append_val (not_applicable, r);
    }

  g_print (_("Table: %s\n"), densito_table_get_path (table));
  g_print (ngettext ("  %u patient, ", "  %u patients, ", n), n);
  g_print (ngettext ("%u column", "%u columns", densito_table_get_n_columns (table)),
           densito_table_get_n_columns (table));
  g_print ("\n");
  if (unknown->len > 0)
    {
      g_print (_("  Other columns (kept as they are):"));
      for (guint i = 0; i < unknown->len; i++)
        g_print ("%s%s", i == 0 ? " " : ", ", (char *)g_ptr_array_index (unknown, i));
      g_print ("\n");
    }

  if (images != NULL)
    {
      densito_image_index_get_counts (images, &ic);
      g_print (_("Images: %s\n"), densito_image_index_get_directory (images));
      g_print (_("  %u in all: %u linked to a patient, %u unlinked, %u unreadable, %u possibly named with a national ID\n"),
               ic.total, ic.linked, ic.unlinked, ic.unreadable, ic.possible_personal_id);
    }
  else
    g_print (_("Images: no image folder found\n"));

  if (images != NULL)
    {
      DensitoAnnotationCounts ac;

      densito_dataset_get_annotation_counts (dataset, &ac);
      g_print (_("Annotations: %s\n"), densito_dataset_get_annotations_dir (dataset)
                                       ? densito_dataset_get_annotations_dir (dataset)
                                       : _("beside the images"));
      g_print (_("  %u images with a sidecar, %u ROIs, %u unreadable; reviewed: %u accepted, %u corrected, "
                 "%u excluded, %u not yet\n"),
               ac.with_sidecar, ac.rois, ac.broken, ac.review[DENSITO_REVIEW_ACCEPTED],
               ac.review[DENSITO_REVIEW_CORRECTED], ac.review[DENSITO_REVIEW_EXCLUDED],
               ac.review[DENSITO_REVIEW_UNREVIEWED]);
    }

  g_print (_("WHO classes (T-score rounded to one decimal):\n"));
  g_print ("  %-8s %8s %11s %13s %8s\n", "", _("normal"), _("osteopenia"), _("osteoporosis"), _("missing"));
  for (guint s = 0; s <= DENSITO_N_SITES; s++)
    g_print ("  %-8s %8u %11u %13u %8u\n", site_keys[s],
             cc.count[s][DENSITO_CLASS_NORMAL], cc.count[s][DENSITO_CLASS_OSTEOPENIA],
             cc.count[s][DENSITO_CLASS_OSTEOPOROSIS], cc.count[s][DENSITO_CLASS_MISSING]);

  if (densito_table_has_label_column (table))
    print_id_list (_("Dataset label disagrees with the computed class"), table, disagree);
  print_id_list (_("T-score categories not applicable (ISCD)"), table, not_applicable);

  g_print (ngettext ("%u problem found\n", "%u problems found\n", n_diags), n_diags);
  for (guint i = 0; i < n_diags; i++)
    {
      g_autofree char *line = densito_diagnostic_dup_line (densito_diagnostics_get (diags, i));
      g_print ("  %s\n", line);
    }
}

static int
cmd_validate (int    argc,
              char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DensitoDataset) dataset = NULL;
  g_autofree char *images_dir = NULL;
  g_autofree char *annotations_dir = NULL;
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print one JSON object"), NULL },
    { "images", 0, 0, G_OPTION_ARG_FILENAME, &images_dir, N_("Use DIR as the image folder"), N_("DIR") },
    { "annotations", 0, 0, G_OPTION_ARG_FILENAME, &annotations_dir,
      N_("Read sidecars from DIR instead of beside the images"), N_("DIR") },
    { NULL }
  };

  context = g_option_context_new (_("PATH — check a dataset and report every problem"));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_description (context,
                                    _("PATH is a dataset folder or a CSV file.\n"
                                      "Exit status: 0 when clean, 1 when problems were found, "
                                      "2 when the dataset cannot be opened."));
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return fail_error (error);
  if (argc != 2)
    return fail (argc < 2 ? _("validate needs a PATH (a dataset folder or a CSV file)")
                          : _("validate takes one PATH"));

  dataset = densito_dataset_open (argv[1], images_dir, NULL, NULL, NULL, &error);
  if (dataset == NULL)
    return fail_error (error);
  if (annotations_dir != NULL && !densito_dataset_set_annotations_dir (dataset, annotations_dir, NULL, &error))
    return fail_error (error);

  if (json)
    {
      g_autofree char *text = validate_json (dataset);
      g_print ("%s\n", text);
    }
  else
    validate_text (dataset);

  return densito_diagnostics_get_n (densito_dataset_get_diagnostics (dataset)) > 0
         ? EXIT_DIAGNOSTICS : EXIT_CLEAN;
}

static void
flush_if_big (GString *out,
              gboolean force)
{
  if (out->len > (1 << 16) || (force && out->len > 0))
    {
      fwrite (out->str, 1, out->len, stdout);
      g_string_truncate (out, 0);
    }
}

static void
list_delimited (DensitoTable      *table,
                DensitoImageIndex *images,
                const guint       *rows,
                guint              n,
                char               delimiter)
{
  g_autoptr(GString) out = g_string_sized_new (1 << 17);

  densito_csv_append_header (out, table, "IMAGES", delimiter, FALSE);
  for (guint i = 0; i < n; i++)
    {
      char images_buf[16];

      g_snprintf (images_buf, sizeof images_buf, "%u",
                  images ? densito_image_index_count_for_row (images, rows[i]) : 0);
      densito_csv_append_row (out, table, rows[i], NULL, images_buf, delimiter, FALSE);
      flush_if_big (out, FALSE);
    }
  flush_if_big (out, TRUE);
}

static void
list_json (DensitoTable      *table,
           DensitoImageIndex *images,
           const guint       *rows,
           guint              n)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;
  guint n_cols = densito_table_get_n_columns (table);

  json_builder_begin_array (b);
  for (guint i = 0; i < n; i++)
    {
      guint r = rows[i];
      char buf[DENSITO_CELL_BUF];
      const char *values[DENSITO_N_DERIVED_COLUMNS];

      json_builder_begin_object (b);
      for (guint c = 0; c < n_cols; c++)
        {
          json_builder_set_member_name (b, densito_table_get_column_name (table, c));
          json_builder_add_string_value (b, densito_table_get_cell (table, r, c, buf));
        }
      densito_derived_values (table, r, values);
      for (guint e = 0; e < DENSITO_N_DERIVED_COLUMNS; e++)
        {
          json_builder_set_member_name (b, densito_derived_column_name (e));
          json_builder_add_string_value (b, values[e]);
        }
      json_builder_set_member_name (b, "IMAGES");
      json_builder_add_int_value (b, images ? densito_image_index_count_for_row (images, r) : 0);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);

  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  text = json_generator_to_data (gen, NULL);
  g_print ("%s\n", text);
}

static int
cmd_list (int    argc,
          char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DensitoDataset) dataset = NULL;
  g_autoptr(DensitoQuery) query = NULL;
  g_autofree char *where = NULL;
  g_autofree char *format = NULL;
  g_autofree char *images_dir = NULL;
  g_autofree guint *rows = NULL;
  DensitoTable *table;
  guint n;
  GOptionEntry entries[] = {
    { "where", 'w', 0, G_OPTION_ARG_STRING, &where, N_("Only patients matching QUERY"), N_("QUERY") },
    { "format", 'f', 0, G_OPTION_ARG_STRING, &format, N_("Output format: csv (default), tsv or json"), N_("FORMAT") },
    { "images", 0, 0, G_OPTION_ARG_FILENAME, &images_dir, N_("Use DIR as the image folder"), N_("DIR") },
    { NULL }
  };

  context = g_option_context_new (_("PATH — print the matching patients"));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_description (context,
                                    _("Prints the original columns in file order, then WHO_CLASS, WHO_SITE,\n"
                                      "TSCORE_APPLICABLE, LABEL_AGREES and IMAGES.\n\n"
                                      "QUERY terms, all of which must hold: sex=F class=osteoporosis label=normal\n"
                                      "agrees=no applicable=no spine_t<=-2.5 hip_t>-1 neck_t spine_bmd hip_bmd\n"
                                      "neck_bmd bmi>=30 weight height age>=65 year=2021 images>=2\n"
                                      "review=unreviewed rois>=1; a bare word matches the patient ID.\n"
                                      "“man densito” says what each term means."));
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return fail_error (error);
  if (argc != 2)
    return fail (argc < 2 ? _("list needs a PATH (a dataset folder or a CSV file)")
                          : _("list takes one PATH"));
  if (format != NULL && strcmp (format, "csv") != 0 && strcmp (format, "tsv") != 0 &&
      strcmp (format, "json") != 0)
    {
      g_autofree char *msg = g_strdup_printf (_("unknown format “%s”: use csv, tsv or json"), format);
      return fail (msg);
    }

  query = densito_query_parse (where ? where : "", &error);
  if (query == NULL)
    return fail_error (error);

  dataset = densito_dataset_open (argv[1], images_dir, NULL, NULL, NULL, &error);
  if (dataset == NULL)
    return fail_error (error);

  table = densito_dataset_get_table (dataset);
  rows = g_new (guint, MAX (densito_table_get_n_rows (table), 1));
  n = densito_query_filter_dataset (query, dataset, rows);

  if (format != NULL && strcmp (format, "json") == 0)
    list_json (table, densito_dataset_get_images (dataset), rows, n);
  else
    list_delimited (table, densito_dataset_get_images (dataset), rows, n,
                    format != NULL && strcmp (format, "tsv") == 0 ? '\t' : ',');

  return EXIT_CLEAN;
}

typedef struct
{
  GMainLoop           *loop;
  GCancellable        *cancellable;
  DensitoExportResult *result;
  GError              *error;
  gboolean             show_progress;
  gboolean             progress_shown;
  glong                progress_width;  /* characters of the line shown last */
} ExportRun;

/* On the export's worker thread; the core calls it at most every 50 ms. */
static void
export_progress_cb (const DensitoExportProgress *progress,
                    gpointer                     user_data)
{
  ExportRun *run = user_data;
  g_autofree char *line = NULL;
  glong width;

  if (!run->show_progress)
    return;
  run->progress_shown = TRUE;
  if (progress->flushing)
    line = g_strdup (_("Exporting: writing to disk…"));
  else
    line = g_strdup_printf (_("Exporting: %3.0f%% (%u of %u files, %.1f of %.1f MB)"),
                            100.0 * progress->fraction, progress->files_done, progress->n_files,
                            progress->bytes_done / 1e6, progress->n_bytes / 1e6);
  /* Over the last line, padded with spaces where it was longer (no
   * terminal escapes: a dumb terminal would show them). */
  width = g_utf8_strlen (line, -1);
  g_printerr ("\r%s%*s", line, (int)MAX (run->progress_width - width, 0), "");
  run->progress_width = width;
}

static void
export_done_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  ExportRun *run = user_data;

  run->result = densito_export_finish (result, &run->error);
  g_main_loop_quit (run->loop);
}

static gboolean
export_signal_cb (gpointer user_data)
{
  ExportRun *run = user_data;

  g_cancellable_cancel (run->cancellable);
  return G_SOURCE_CONTINUE;
}

static int
cmd_export (int    argc,
            char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DensitoDataset) dataset = NULL;
  g_autoptr(DensitoQuery) query = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(GCancellable) cancellable = NULL;
  g_autoptr(DensitoExportResult) result = NULL;
  g_autofree char *where = NULL;
  g_autofree char *to = NULL;
  g_autofree char *mapping = NULL;
  g_autofree char *images_dir = NULL;
  g_autofree char *annotations_dir = NULL;
  gboolean anonymize = FALSE;
  gboolean coco = FALSE;
  gboolean no_images = FALSE;
  gboolean no_annotations = FALSE;
  gboolean copy = FALSE;
  DensitoExportFlags flags = DENSITO_EXPORT_DEFAULT;
  const DensitoExportSummary *summary;
  ExportRun run = { 0 };
  guint sigint_id, sigterm_id;
  GOptionEntry entries[] = {
    { "where", 'w', 0, G_OPTION_ARG_STRING, &where, N_("Only patients matching QUERY"), N_("QUERY") },
    { "to", 0, 0, G_OPTION_ARG_FILENAME, &to, N_("Create the export in DIR (new or empty)"), N_("DIR") },
    { "anonymize", 0, 0, G_OPTION_ARG_NONE, &anonymize,
      N_("Give patients new IDs (P00001...) and rename their files to match"), NULL },
    { "mapping", 0, 0, G_OPTION_ARG_FILENAME, &mapping,
      N_("With --anonymize, save the ID mapping to FILE, outside the export"), N_("FILE") },
    { "coco", 0, 0, G_OPTION_ARG_NONE, &coco, N_("Also write annotations.coco.json"), NULL },
    { "no-images", 0, 0, G_OPTION_ARG_NONE, &no_images, N_("Export the table only"), NULL },
    { "no-annotations", 0, 0, G_OPTION_ARG_NONE, &no_annotations,
      N_("Export the images without their sidecars"), NULL },
    { "copy", 0, 0, G_OPTION_ARG_NONE, &copy,
      N_("Copy the images even where hard links are possible"), NULL },
    { "images", 0, 0, G_OPTION_ARG_FILENAME, &images_dir, N_("Use DIR as the image folder"), N_("DIR") },
    { "annotations", 0, 0, G_OPTION_ARG_FILENAME, &annotations_dir,
      N_("Read sidecars from DIR instead of beside the images"), N_("DIR") },
    { NULL }
  };

  context = g_option_context_new (_("PATH --to DIR — export the matching patients"));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_description (context,
                                    _("Writes DIR/patients.csv, DIR/images/ with the sidecars, "
                                      "DIR/manifest.json\nand, with --coco, DIR/annotations.coco.json. "
                                      "Everything is written into DIR.partial\nand renamed to DIR "
                                      "only when complete. Images are hard links where the file\n"
                                      "system allows, copies otherwise. Images named like a national "
                                      "ID number are\nrenamed or left out.\n\n"
                                      "Exit status: 0 when exported, 1 when cancelled or failed "
                                      "(nothing is left\nunder DIR), 2 for a usage error or a dataset "
                                      "that cannot be opened."));
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return fail_error (error);
  if (argc != 2)
    return fail (argc < 2 ? _("export needs a PATH (a dataset folder or a CSV file)")
                          : _("export takes one PATH"));
  if (to == NULL || to[0] == '\0')
    return fail (_("export needs --to DIR, a new or empty folder"));
  if (mapping != NULL && mapping[0] == '\0')
    return fail (_("--mapping needs a FILE name"));
  if (mapping != NULL && !anonymize)
    return fail (_("--mapping is only for --anonymize"));
  if (coco && (no_images || no_annotations))
    return fail (_("--coco is made from the images’ annotations: leave out --no-images and "
                   "--no-annotations"));
  if (mapping != NULL && !densito_export_check_mapping_path (to, mapping, &error))
    return fail_error (error);
  if (mapping != NULL)
    {
      /* Checked now: a mapping that cannot be saved after the export is
       * lost for good, and it must never replace another file. */
      g_autofree char *parent = g_path_get_dirname (mapping);
      g_autofree char *display = g_filename_display_name (mapping);
      g_autofree char *parent_display = g_filename_display_name (parent);
      GStatBuf st;

      if (!g_file_test (parent, G_FILE_TEST_IS_DIR))
        return fail_printf (_("--mapping %s: the folder %s does not exist"), display, parent_display);
      if (g_lstat (mapping, &st) == 0)
        return fail_printf (_("--mapping %s already exists; the mapping is only written to a new file"),
                            display);
      if (access (parent, W_OK) != 0)
        return fail_printf (_("--mapping %s: cannot write in %s"), display, parent_display);
    }

  query = densito_query_parse (where ? where : "", &error);
  if (query == NULL)
    return fail_error (error);

  dataset = densito_dataset_open (argv[1], images_dir, NULL, NULL, NULL, &error);
  if (dataset == NULL)
    return fail_error (error);
  if (annotations_dir != NULL && !densito_dataset_set_annotations_dir (dataset, annotations_dir, NULL, &error))
    return fail_error (error);

  if (anonymize)
    flags |= DENSITO_EXPORT_ANONYMIZE;
  if (coco)
    flags |= DENSITO_EXPORT_COCO;
  if (no_images)
    flags |= DENSITO_EXPORT_NO_IMAGES;
  if (no_annotations)
    flags |= DENSITO_EXPORT_NO_ANNOTATIONS;
  if (copy)
    flags |= DENSITO_EXPORT_COPY;

  /* In a worker, so that Ctrl+C cancels it cleanly. */
  loop = g_main_loop_new (NULL, FALSE);
  cancellable = g_cancellable_new ();
  run.loop = loop;
  run.cancellable = cancellable;
  run.show_progress = isatty (STDERR_FILENO);
  sigint_id = g_unix_signal_add (SIGINT, export_signal_cb, &run);
  sigterm_id = g_unix_signal_add (SIGTERM, export_signal_cb, &run);
  densito_export_async (dataset, query, to, flags, cancellable, export_progress_cb, &run,
                        export_done_cb, &run);
  g_main_loop_run (loop);
  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);
  if (run.progress_shown)
    g_printerr ("\n");

  result = g_steal_pointer (&run.result);
  if (result == NULL)
    {
      g_autoptr(GError) export_error = g_steal_pointer (&run.error);
      g_autofree char *display = g_filename_display_name (to);

      if (g_error_matches (export_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_printerr (_("densito: export cancelled; nothing was written to %s\n"), display);
      else
        g_printerr (_("densito: export failed: %s\n"), export_error->message);
      return EXIT_DIAGNOSTICS;
    }

  summary = densito_export_result_get_summary (result);
  {
    g_autofree char *display = g_filename_display_name (densito_export_result_get_target (result));
    g_print (_("Exported %u patients and %u images (%u annotated) to %s\n"),
             summary->patients, summary->images, summary->annotated, display);
  }
  if (summary->images > 0)
    g_print (_("  images: %u hard links, %u copies\n"),
             densito_export_result_get_n_linked (result), densito_export_result_get_n_copied (result));
  if (summary->pii_renamed > 0 || summary->pii_left_out > 0)
    g_print (_("  images named like a national ID number: %u renamed, %u left out (see manifest.json)\n"),
             summary->pii_renamed, summary->pii_left_out);
  if (densito_export_result_get_unreadable (result)->len > 0)
    {
      GPtrArray *unreadable = densito_export_result_get_unreadable (result);

      g_printerr (g_dngettext (GETTEXT_PACKAGE,
                               "densito: warning: %u annotation file could not be read and was left out; "
                               "its image is exported without ROIs (“densito validate” says why):\n",
                               "densito: warning: %u annotation files could not be read and were left out; "
                               "their images are exported without ROIs (“densito validate” says why):\n",
                               unreadable->len),
                  unreadable->len);
      for (guint i = 0; i < unreadable->len; i++)
        {
          g_autofree char *display = g_filename_display_name (unreadable->pdata[i]);
          g_printerr ("  %s\n", display);
        }
    }
  if (summary->pii_patient_ids > 0)
    g_printerr (_("densito: warning: %u patient IDs look like national ID numbers; "
                  "export with --anonymize to replace them\n"), summary->pii_patient_ids);
  if (mapping != NULL)
    {
      if (!densito_export_result_save_mapping (result, mapping, &error))
        {
          g_printerr (_("densito: the export is complete, but the ID mapping was not saved: %s\n"),
                      error->message);
          return EXIT_DIAGNOSTICS;
        }
      {
        g_autofree char *display = g_filename_display_name (mapping);
        g_print (_("  ID mapping saved to %s (keep it apart from the export)\n"), display);
      }
    }
  return EXIT_CLEAN;
}

static void
print_usage (void)
{
  g_print ("%s", _("Usage:\n"
                   "  densito [PATH]                      Open a dataset in the application\n"
                   "  densito validate PATH [--json]      Check a dataset and report every problem\n"
                   "  densito list PATH [--where QUERY] [--format csv|tsv|json]\n"
                   "                                      Print the matching patients\n"
                   "  densito export PATH --where QUERY --to DIR [--anonymize] [--coco] [--no-images]\n"
                   "                                      Export the matching patients, all or nothing\n"
                   "  densito --version                   Print the version\n"
                   "\n"
                   "PATH is a dataset folder (a CSV table and a folder of scans) or a CSV file.\n"
                   "Run “densito COMMAND --help” for the options of a command, and\n"
                   "“man densito” for the window, the commands and the query language.\n"));
}

gboolean
densito_cli_is_command (const char *arg)
{
  return arg != NULL &&
         (strcmp (arg, "validate") == 0 || strcmp (arg, "list") == 0 || strcmp (arg, "export") == 0 ||
          strcmp (arg, "--help") == 0 || strcmp (arg, "-h") == 0 ||
          strcmp (arg, "--version") == 0 || strcmp (arg, "help") == 0);
}

/**
 * densito_cli_run:
 *
 * Runs a subcommand. argv[0] is the program, argv[1] the command.
 *
 * Returns: the exit status
 */
int
densito_cli_run (int    argc,
                 char **argv)
{
  const char *cmd;

  if (argc < 2)
    {
      print_usage ();
      return EXIT_FATAL;
    }

  cmd = argv[1];
  if (strcmp (cmd, "--version") == 0)
    {
      g_print ("densito %s\n", PACKAGE_VERSION);
      return EXIT_CLEAN;
    }
  if (strcmp (cmd, "--help") == 0 || strcmp (cmd, "-h") == 0 || strcmp (cmd, "help") == 0)
    {
      print_usage ();
      return EXIT_CLEAN;
    }
  if (strcmp (cmd, "validate") == 0)
    return cmd_validate (argc - 1, argv + 1);
  if (strcmp (cmd, "list") == 0)
    return cmd_list (argc - 1, argv + 1);
  if (strcmp (cmd, "export") == 0)
    return cmd_export (argc - 1, argv + 1);

  {
    g_autofree char *msg = g_strdup_printf (_("unknown command or option “%s”; see densito --help"), cmd);
    return fail (msg);
  }
}
