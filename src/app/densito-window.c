/* densito-window.c
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The main window: the patient list with its filter on the left, the
 * scan in the middle, every field and the classification on the right.
 * Datasets load in a worker thread (densito_dataset_open_async) with a
 * progress bar; images decode in a worker thread too.
 */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "densito-cell.h"
#include "densito-edit-stack.h"
#include "densito-format.h"
#include "densito-list-selection.h"
#include "densito-column-sorter.h"
#include "densito-patient-model.h"
#include "densito-problems-window.h"
#include "densito-scan-view.h"
#include "densito-sidecar.h"
#include "densito-window.h"

/* Waits for the next frame a widget's clock paints, or for a timeout when
 * none comes; the callback is told which. Started with
 * frame_wait_start_then_idle(), it is called in an idle right after the
 * frame instead of while the frame is still being finished. */
typedef void (*FrameWaitFunc) (gpointer data,
                               gboolean painted);

typedef struct
{
  GdkFrameClock *clock;
  gulong         handler;
  guint          timeout;
  guint          idle;
  gboolean       then_idle;
  FrameWaitFunc  func;
  gpointer       data;
} FrameWait;

/* A surface that goes away disposes of its frame clock, which drops the
 * handler with it. */
static void
frame_wait_stop (FrameWait *wait)
{
  if (wait->clock != NULL && g_signal_handler_is_connected (wait->clock, wait->handler))
    g_signal_handler_disconnect (wait->clock, wait->handler);
  wait->handler = 0;
  g_clear_object (&wait->clock);
  g_clear_handle_id (&wait->timeout, g_source_remove);
  g_clear_handle_id (&wait->idle, g_source_remove);
}

static gboolean
frame_wait_active (FrameWait *wait)
{
  return wait->handler != 0 || wait->idle != 0;
}

static void
frame_wait_done (FrameWait *wait,
                 gboolean   painted)
{
  FrameWaitFunc func = wait->func;
  gpointer data = wait->data;

  frame_wait_stop (wait);
  func (data, painted);
}

static gboolean
frame_wait_idle_cb (gpointer data)
{
  FrameWait *wait = data;

  wait->idle = 0;
  frame_wait_done (wait, TRUE);
  return G_SOURCE_REMOVE;
}

static void
frame_wait_painted_cb (GdkFrameClock *clock,
                       FrameWait     *wait)
{
  if (!wait->then_idle)
    {
      frame_wait_done (wait, TRUE);
      return;
    }
  /* (stop () would clear the idle: stop the rest by hand) */
  g_signal_handler_disconnect (wait->clock, wait->handler);
  wait->handler = 0;
  g_clear_object (&wait->clock);
  g_clear_handle_id (&wait->timeout, g_source_remove);
  wait->idle = g_idle_add_full (G_PRIORITY_HIGH_IDLE, frame_wait_idle_cb, wait, NULL);
}

static gboolean
frame_wait_timeout_cb (gpointer data)
{
  FrameWait *wait = data;

  wait->timeout = 0;
  frame_wait_done (wait, FALSE);
  return G_SOURCE_REMOVE;
}

/* FALSE, and nothing waits, when @widget has no frame clock. */
static gboolean
frame_wait_start (FrameWait     *wait,
                  GtkWidget     *widget,
                  guint          timeout_ms,
                  FrameWaitFunc  func,
                  gpointer       data)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (widget);

  frame_wait_stop (wait);
  if (clock == NULL)
    return FALSE;
  wait->then_idle = FALSE;
  wait->clock = g_object_ref (clock);
  wait->func = func;
  wait->data = data;
  wait->handler = g_signal_connect (clock, "after-paint", G_CALLBACK (frame_wait_painted_cb), wait);
  wait->timeout = g_timeout_add (timeout_ms, frame_wait_timeout_cb, wait);
  return TRUE;
}

static gboolean
frame_wait_start_then_idle (FrameWait     *wait,
                            GtkWidget     *widget,
                            guint          timeout_ms,
                            FrameWaitFunc  func,
                            gpointer       data)
{
  if (!frame_wait_start (wait, widget, timeout_ms, func, data))
    return FALSE;
  wait->then_idle = TRUE;
  return TRUE;
}

struct _DensitoWindow
{
  GtkApplicationWindow  parent_instance;

  /* Template children */
  GtkLabel             *title_label;
  GtkLabel             *subtitle_label;
  GtkRevealer          *banner_revealer;
  GtkLabel             *banner_label;
  GtkButton            *banner_button;
  GtkButton            *banner_close;
  GtkStack             *stack;
  GtkLabel             *loading_label;
  GtkProgressBar       *progress_bar;
  GtkPaned             *list_paned;
  GtkPaned             *details_paned;
  GtkSearchEntry       *search_entry;
  GtkLabel             *query_error_label;
  GtkLabel             *count_label;
  GtkDropDown          *sex_dropdown;
  GtkDropDown          *class_dropdown;
  GtkToggleButton      *disagree_toggle;
  GtkToggleButton      *applicable_toggle;
  GtkToggleButton      *images_toggle;
  GtkColumnView        *column_view;
  GtkBox               *thumbnail_box;
  GtkBox               *scan_box;
  GtkBox               *scan_toolbar;
  GtkBox               *details_box;
  GtkWidget            *details_scroller;
  GMenu                *recent_section;
  GtkLabel             *review_progress_label;
  GtkRevealer          *save_banner_revealer;
  GtkWidget            *save_banner;
  GtkLabel             *save_banner_label;
  GtkWidget            *reload_theirs_button;
  GtkWidget            *keep_mine_button;
  GtkWidget            *retry_save_button;
  GtkBox               *edit_toolbar;
  GtkLabel             *review_status_label;
  GtkWidget            *accept_button;
  GtkWidget            *correct_button;
  GtkWidget            *exclude_button;

  DensitoScanView      *scan_view;
  GSettings            *settings;
  GtkMenuButton        *primary_menu_button;
  GtkMenuButton        *columns_button;
  GMenuModel           *primary_menu;
  GMenuModel           *columns_menu;

  DensitoDataset       *dataset;
  DensitoPatientModel  *model;
  DensitoListSelection *selection;    /* limited to the rows in view until a frame is drawn */
  FrameWait             slice_wait;   /* for the frame after which the list grows */
  FrameWait             show_wait;    /* for the frame after a refilter (see show_after_frame) */
  FrameWait             vacant_wait;  /* for the frame after which vacant rows go (see drop_vacant_cb) */
  FrameWait             reveal_wait;  /* for the frame after a widened search (see reveal_shown_cb) */
  int                   show_pending; /* the table row to show then, or -1 */
  guint                 empty_search_source;  /* an emptied search, applied a moment later */
  char                 *dataset_path;

  GCancellable         *open_cancellable;
  GCancellable         *image_cancellable;
  struct Progress      *progress;

  int                   current_row;
  guint                 current_image;       /* index among the row's images */
  char                 *image_name;
  gboolean              updating_filters;
  gboolean              bench_startup;
  gboolean              bench_first_painted;
  gint64                bench_last_paint;
  gint64                bench_longest_frame;
  char                 *state_file;
  char                 *last_error;
  char                 *last_query;    /* the last query text that parsed */

  /* Decoded scans, most recent last, bounded by TEXTURE_CACHE_BYTES. */
  GHashTable           *textures;       /* path -> GdkTexture */
  GQueue                texture_order;  /* paths, owned by the hash table */
  gsize                 texture_bytes;
  GCancellable         *prefetch_cancellable;
  GCancellable         *annotations_cancellable;

  /* A dataset's first frame is drawn before its background work starts
   * (see hold_work). */
  FrameWait             hold_wait;
  struct _ImageLoad    *held_load;      /* the shown scan's decode */
  gboolean              held_prefetch;
  gboolean              held_annotations;
  guint                 reveal_tab_tick;  /* scrolls the shown scan's tab into view */
  guint                 reveal_tab_frames;

  /* Editing: the shown image's undo stack, and the stacks of other images
   * whose edits are not on disk yet (autosave off, or a failed save). */
  DensitoEditStack     *edits;
  int                   stack_image;    /* its index in the image index, or -1 */
  GHashTable           *kept;           /* image index -> DensitoEditStack */
  GHashTable           *saving;         /* image index -> DensitoEditStack written in a worker */
  int                   install_waiting; /* shown image whose stack is still being written, or -1 */
  int                   after_saves;    /* AfterFlush + 1 waiting for the saves under way, or 0 */
  char                 *after_saves_path;
  gboolean              after_saves_save; /* and whether it saves what is unsaved then */
  gboolean              writing_mine;   /* Keep Mine as a Copy is being written */
  int                   banner_image;   /* the image the save banner is about, or -1 */
  gboolean              banner_conflict;
  char                 *save_error;     /* the last save problem shown, for tests */
  guint                 pending_image;  /* the image to show once a patient is selected */
  gboolean              resume_pending; /* jump to the first unreviewed image once known */
  gboolean              close_confirmed;
  gboolean              autosave;       /* bound to the autosave setting */
  guint                 state_idle;
  guint                 banner_timeout;  /* hides an information banner */
  GCancellable         *copy_cancellable;
};

#define TEXTURE_CACHE_BYTES ((gsize)32 << 20)

G_DEFINE_FINAL_TYPE (DensitoWindow, densito_window, GTK_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_AUTOSAVE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Progress from the loading thread: the worker stores the fraction and
 * schedules at most one idle callback; only that callback touches GTK. */
typedef struct Progress
{
  GMutex   lock;
  double   fraction;
  guint    idle_id;
  GWeakRef window;
} Progress;

static void write_state (DensitoWindow *self);
static void leave_image (DensitoWindow *self);
static void install_existing (DensitoWindow    *self,
                              DensitoEditStack *stack);
static void update_edit_state (DensitoWindow *self);
static void update_thumbnail_marks (DensitoWindow *self);
static void update_progress (DensitoWindow *self);
static void unlimit_list (DensitoWindow *self);
static void select_shown_patient (DensitoWindow *self,
                                  int            shown);
static int shown_row (DensitoWindow *self);
static void cancel_show_after_frame (DensitoWindow *self);
static gboolean finish_show_after_frame (DensitoWindow *self);
static void resume_review (DensitoWindow *self);
struct _ImageLoad;
static void install_stack (DensitoWindow     *self,
                           struct _ImageLoad *load);
static void show_image (DensitoWindow *self,
                        guint          index);
static gboolean holding_work (DensitoWindow *self);
static void drop_held_load (DensitoWindow *self);

static void
progress_free (Progress *p)
{
  if (p->idle_id != 0)
    g_source_remove (p->idle_id);
  g_weak_ref_clear (&p->window);
  g_mutex_clear (&p->lock);
}

static void
progress_release (gpointer data)
{
  g_rc_box_release_full (data, (GDestroyNotify)progress_free);
}

static gboolean
progress_idle_cb (gpointer data)
{
  Progress *p = data;
  g_autoptr(DensitoWindow) self = g_weak_ref_get (&p->window);
  double fraction;

  g_mutex_lock (&p->lock);
  fraction = p->fraction;
  p->idle_id = 0;
  g_mutex_unlock (&p->lock);

  if (self != NULL)
    gtk_progress_bar_set_fraction (self->progress_bar, fraction);
  return G_SOURCE_REMOVE;
}

static void
progress_cb (double   fraction,
             gpointer data)
{
  Progress *p = data;

  g_mutex_lock (&p->lock);
  p->fraction = fraction;
  if (p->idle_id == 0)
    p->idle_id = g_idle_add_full (G_PRIORITY_DEFAULT, progress_idle_cb,
                                  g_rc_box_acquire (p), (GDestroyNotify)g_rc_box_release);
  g_mutex_unlock (&p->lock);
}

/* Helpers */

static char *
format_number (double      value,
               int         decimals,
               const char *unit)
{
  if (!isfinite (value))
    return g_strdup ("—");
  /* printf follows LC_NUMERIC, so the decimal sign is the user's. */
  if (unit != NULL)
    return g_strdup_printf ("%.*f %s", decimals, value, unit);
  return g_strdup_printf ("%.*f", decimals, value);
}



static void
clear_box (GtkBox *box)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (box))) != NULL)
    gtk_box_remove (box, child);
}

static const guint *
row_images (DensitoWindow *self,
            guint          row,
            guint         *n)
{
  DensitoImageIndex *images = self->dataset ? densito_dataset_get_images (self->dataset) : NULL;

  *n = 0;
  if (images == NULL)
    return NULL;
  return densito_image_index_get_for_row (images, row, n);
}

/* Details */

static GtkGrid *
add_group (DensitoWindow *self,
           const char    *title)
{
  GtkWidget *label = gtk_label_new (title);
  GtkWidget *grid = gtk_grid_new ();

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_add_css_class (label, "group-title");
  gtk_box_append (self->details_box, label);

  gtk_grid_set_column_spacing (GTK_GRID (grid), 12);
  gtk_grid_set_row_spacing (GTK_GRID (grid), 4);
  gtk_box_append (self->details_box, grid);
  return GTK_GRID (grid);
}

static GtkWidget *
add_field (GtkGrid    *grid,
           const char *name,
           const char *value,
           const char *css)
{
  int row = 0;
  GtkWidget *n = gtk_label_new (name);
  GtkWidget *v = gtk_label_new (value && *value ? value : "—");

  while (gtk_grid_get_child_at (grid, 0, row) != NULL)
    row++;

  gtk_label_set_xalign (GTK_LABEL (n), 0);
  gtk_label_set_yalign (GTK_LABEL (n), 0);
  gtk_widget_add_css_class (n, "field-name");
  gtk_label_set_xalign (GTK_LABEL (v), 0);
  gtk_label_set_wrap (GTK_LABEL (v), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (v), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_selectable (GTK_LABEL (v), TRUE);
  gtk_widget_set_hexpand (v, TRUE);
  if (css != NULL)
    gtk_widget_add_css_class (v, css);
  gtk_grid_attach (grid, n, 0, row, 1, 1);
  gtk_grid_attach (grid, v, 1, row, 1, 1);
  return v;
}

static const char *
cell (DensitoTable *table,
      guint         row,
      DensitoField  field,
      char          buf[DENSITO_CELL_BUF])
{
  int c = densito_table_get_field_column (table, field);

  return c >= 0 ? densito_table_get_cell (table, row, (guint)c, buf) : NULL;
}

static void
build_class_card (DensitoWindow *self,
                  guint          row)
{
  DensitoTable *table = densito_dataset_get_table (self->dataset);
  GtkWidget *card = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  GtkWidget *title;
  GtkWidget *label;
  DensitoSite site;
  DensitoReason reason;
  DensitoClass klass = densito_table_get_class (table, row, &site);
  DensitoApplicability applicable = densito_table_get_applicability (table, row, &reason);
  DensitoAgreement agrees = densito_table_get_agreement (table, row);
  g_autofree char *site_text = NULL;

  gtk_widget_add_css_class (card, "class-card");

  label = gtk_label_new (_("WHO classification"));
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_add_css_class (label, "field-name");
  gtk_box_append (GTK_BOX (card), label);

  title = gtk_label_new (densito_class_display_name (klass));
  gtk_widget_set_name (title, "class-title");
  gtk_label_set_xalign (GTK_LABEL (title), 0);
  gtk_widget_add_css_class (title, "class-title");
  gtk_widget_add_css_class (title, densito_class_css_name (klass));
  gtk_box_append (GTK_BOX (card), title);

  if (site != DENSITO_SITE_NONE)
    {
      static const DensitoField t_fields[] = { DENSITO_FIELD_SPINE_T, DENSITO_FIELD_HIP_T, DENSITO_FIELD_NECK_T };
      g_autofree char *t = densito_format_tscore (densito_table_get_number (table, row, t_fields[site]));
      /* Translators: "Decided by Femoral neck, T = −2.6" */
      site_text = g_strdup_printf (_("Decided by %s, T = %s"), densito_site_display_name (site), t);
    }
  else
    site_text = g_strdup (_("No T-score in the table"));
  label = gtk_label_new (site_text);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_box_append (GTK_BOX (card), label);

  /* A T-score that could not be read is not "not measured": the class may
   * be missing the site that would have decided it. */
  {
    static const DensitoField t_fields[] = { DENSITO_FIELD_SPINE_T, DENSITO_FIELD_HIP_T, DENSITO_FIELD_NECK_T };

    for (guint i = 0; i < G_N_ELEMENTS (t_fields); i++)
      {
        const char *raw = densito_table_get_unreadable (table, row, t_fields[i]);
        g_autofree char *text = NULL;

        if (raw == NULL)
          continue;
        if (site != DENSITO_SITE_NONE)
          /* Translators: "Lumbar spine (L1–L4) T-score “-1,x” could not be read: the class comes from the other sites" */
          text = g_strdup_printf (_("%s T-score “%s” could not be read: the class comes from the other sites"),
                                  densito_site_display_name ((DensitoSite)i), raw);
        else
          text = g_strdup_printf (_("%s T-score “%s” could not be read"), densito_site_display_name ((DensitoSite)i), raw);
        label = gtk_label_new (text);
        gtk_label_set_xalign (GTK_LABEL (label), 0);
        gtk_label_set_wrap (GTK_LABEL (label), TRUE);
        gtk_widget_add_css_class (label, "warning");
        gtk_box_append (GTK_BOX (card), label);
      }
  }

  if (applicable != DENSITO_APPLICABLE_YES)
    {
      label = gtk_label_new (densito_reason_message (reason));
      gtk_label_set_xalign (GTK_LABEL (label), 0);
      gtk_label_set_wrap (GTK_LABEL (label), TRUE);
      gtk_widget_add_css_class (label, "warning");
      gtk_box_append (GTK_BOX (card), label);
    }

  if (densito_table_has_label_column (table))
    {
      char buf[DENSITO_CELL_BUF];
      const char *raw = cell (table, row, DENSITO_FIELD_LABEL, buf);
      g_autofree char *text = NULL;

      if (agrees == DENSITO_AGREES_NO)
        text = g_strdup_printf (_("Dataset label “%s” disagrees"), raw);
      else if (agrees == DENSITO_AGREES_YES)
        text = g_strdup_printf (_("Dataset label “%s” agrees"), raw);
      else
        text = g_strdup_printf (_("Dataset label “%s”: nothing to compare"), raw ? raw : "");
      label = gtk_label_new (text);
      gtk_label_set_xalign (GTK_LABEL (label), 0);
      gtk_label_set_wrap (GTK_LABEL (label), TRUE);
      if (agrees == DENSITO_AGREES_NO)
        gtk_widget_add_css_class (label, "warning");
      gtk_box_append (GTK_BOX (card), label);
    }

  gtk_box_append (self->details_box, card);
}

/* The width of @text in @widget's font (with tabular figures when
 * @numeric, as the "numeric" style class gives). */
static int
text_width (GtkWidget  *widget,
            const char *text,
            gboolean    numeric)
{
  g_autoptr(PangoLayout) layout = gtk_widget_create_pango_layout (widget, text);
  int width = 0;

  if (numeric)
    {
      PangoAttrList *attrs = pango_attr_list_new ();

      pango_attr_list_insert (attrs, pango_attr_font_features_new ("tnum"));
      pango_layout_set_attributes (layout, attrs);
      pango_attr_list_unref (attrs);
    }
  pango_layout_get_pixel_size (layout, &width, NULL);
  return width;
}

static void
build_details (DensitoWindow *self,
               guint          row)
{
  static const struct {
    const char  *name;
    DensitoSite  site;
    DensitoField date, bmd, t;
  } sites[] = {
    { N_("Spine L1–L4"), DENSITO_SITE_SPINE, DENSITO_FIELD_SPINE_DATE, DENSITO_FIELD_SPINE_BMD, DENSITO_FIELD_SPINE_T },
    { N_("Total hip"), DENSITO_SITE_HIP, DENSITO_FIELD_HIP_DATE, DENSITO_FIELD_HIP_BMD, DENSITO_FIELD_HIP_T },
    { N_("Femoral neck"), DENSITO_SITE_NECK, DENSITO_FIELD_NECK_DATE, DENSITO_FIELD_NECK_BMD, DENSITO_FIELD_NECK_T },
  };
  DensitoTable *table = densito_dataset_get_table (self->dataset);
  char buf[DENSITO_CELL_BUF];
  GtkGrid *grid;
  GtkWidget *header;
  g_autofree char *heading = NULL;
  gboolean any_other = FALSE;

  clear_box (self->details_box);

  heading = g_strdup_printf (_("Patient %s"), densito_table_get_id (table, row));
  header = gtk_label_new (heading);
  gtk_label_set_xalign (GTK_LABEL (header), 0);
  gtk_label_set_selectable (GTK_LABEL (header), TRUE);
  gtk_widget_add_css_class (header, "title-2");
  gtk_box_append (self->details_box, header);
  if (densito_table_is_duplicate (table, row))
    {
      GtkWidget *dup = gtk_label_new (_("This ID appears on more than one row of the table."));
      gtk_label_set_xalign (GTK_LABEL (dup), 0);
      gtk_widget_add_css_class (dup, "warning");
      gtk_box_append (self->details_box, dup);
    }

  build_class_card (self, row);

  /* One row per site, one column per measure, so values line up. */
  grid = add_group (self, _("Scans"));
  {
    static const char *heads[] = { N_("Site"), N_("Date"), N_("BMD g/cm²"), N_("T"), N_("Class") };

    g_autofree char *t_widest = densito_format_tscore (-8.8);
    const char *widest[] = { NULL, NULL, NULL, t_widest, NULL };
    const char *class_texts[] = {
      densito_class_display_name (DENSITO_CLASS_NORMAL), densito_class_display_name (DENSITO_CLASS_OSTEOPENIA),
      densito_class_display_name (DENSITO_CLASS_OSTEOPOROSIS), densito_class_display_name (DENSITO_CLASS_MISSING),
      _("unreadable"),
    };

    /* The table's site classes are coloured, not bold (style.css), and
     * its T and class columns are as wide as their widest text, so that
     * the pane keeps its width, and the scan its size, from one patient
     * to the next (a bold "Osteoporosis" widened it by 28 px). */
    gtk_widget_add_css_class (GTK_WIDGET (grid), "scans-table");
    /* five columns: closer than the two of the other groups, so that the
     * widths kept for them cost the list no room */
    gtk_grid_set_column_spacing (grid, 8);
    for (guint c = 0; c < G_N_ELEMENTS (heads); c++)
      {
        GtkWidget *h = gtk_label_new (_(heads[c]));
        int width = 0;

        gtk_label_set_xalign (GTK_LABEL (h), c >= 2 && c <= 3 ? 1.0f : 0.0f);
        gtk_widget_add_css_class (h, "field-name");
        if (c == 3)
          width = text_width (GTK_WIDGET (grid), widest[c], TRUE);
        else if (c == 4)
          for (guint k = 0; k < G_N_ELEMENTS (class_texts); k++)
            width = MAX (width, text_width (GTK_WIDGET (grid), class_texts[k], FALSE));
        if (width > 0)
          gtk_widget_set_size_request (h, width, -1);
        gtk_grid_attach (grid, h, (int)c, 0, 1, 1);
      }
  }
  for (guint i = 0; i < G_N_ELEMENTS (sites); i++)
    {
      DensitoClass klass = densito_table_get_site_class (table, row, sites[i].site);
      double bmd_value = densito_table_get_number (table, row, sites[i].bmd);
      const char *bmd_raw = densito_table_get_unreadable (table, row, sites[i].bmd);
      const char *t_raw = densito_table_get_unreadable (table, row, sites[i].t);
      /* Translators: a table cell's text as written, in quotation marks */
      g_autofree char *bmd = bmd_raw ? g_strdup_printf (_("“%s”"), bmd_raw) : format_number (bmd_value, 3, NULL);
      g_autofree char *t = t_raw ? g_strdup_printf (_("“%s”"), t_raw)
                                 : densito_format_tscore (densito_table_get_number (table, row, sites[i].t));
      const char *date = cell (table, row, sites[i].date, buf);
      gboolean measured = klass != DENSITO_CLASS_MISSING || isfinite (bmd_value);
      const char *values[5];

      values[0] = _(sites[i].name);
      values[1] = date && *date ? date : "—";
      values[2] = bmd;
      values[3] = t;
      /* a site not measured: dashes across its row */
      values[4] = t_raw ? _("unreadable") : measured ? densito_class_display_name (klass) : "—";
      for (guint c = 0; c < G_N_ELEMENTS (values); c++)
        {
          GtkWidget *v = gtk_label_new (values[c]);

          gtk_label_set_xalign (GTK_LABEL (v), c >= 2 && c <= 3 ? 1.0f : 0.0f);
          gtk_label_set_selectable (GTK_LABEL (v), c > 0);
          if (c >= 2 && c <= 3)
            gtk_widget_add_css_class (v, "numeric");
          if ((c == 2 && bmd_raw) || (c >= 3 && t_raw))
            {
              gtk_widget_add_css_class (v, "warning");
              gtk_widget_set_tooltip_text (v, _("Not a number: the table’s text is shown as written"));
            }
          else if (c >= 3)
            gtk_widget_add_css_class (v, densito_class_css_name (klass));
          if (c == 0)
            gtk_widget_add_css_class (v, "field-name");
          gtk_grid_attach (grid, v, (int)c, (int)i + 1, 1, 1);
        }
    }

  grid = add_group (self, _("Body"));
  {
    double w = densito_table_get_number (table, row, DENSITO_FIELD_WEIGHT);
    double h = densito_table_get_number (table, row, DENSITO_FIELD_HEIGHT);
    double stated = densito_table_get_number (table, row, DENSITO_FIELD_BMI);
    double computed = densito_table_get_bmi_computed (table, row);
    const char *w_raw = densito_table_get_unreadable (table, row, DENSITO_FIELD_WEIGHT);
    const char *h_raw = densito_table_get_unreadable (table, row, DENSITO_FIELD_HEIGHT);
    const char *s_raw = densito_table_get_unreadable (table, row, DENSITO_FIELD_BMI);
    /* Translators: a cell that is not a number, as written in the table */
    g_autofree char *ws = w_raw ? g_strdup_printf (_("“%s” — not a number"), w_raw) : format_number (w, 1, _("kg"));
    g_autofree char *hs = h_raw ? g_strdup_printf (_("“%s” — not a number"), h_raw) : format_number (h, 1, _("cm"));
    g_autofree char *ss = s_raw ? g_strdup_printf (_("“%s” — not a number"), s_raw) : format_number (stated, 1, NULL);
    g_autofree char *cs = format_number (computed, 1, NULL);

    add_field (grid, _("Weight"), ws, w_raw ? "warning" : NULL);
    add_field (grid, _("Height"), hs, h_raw ? "warning" : NULL);
    add_field (grid, _("BMI stated"), ss, s_raw ? "warning" : NULL);
    if (densito_table_get_bmi_mismatch (table, row))
      {
        g_autofree char *warn = g_strdup_printf (_("%s — differs from the stated BMI by more than 0.5"), cs);
        add_field (grid, _("BMI from weight and height"), warn, "warning");
      }
    else
      add_field (grid, _("BMI from weight and height"), cs, NULL);
  }

  grid = add_group (self, _("Demographics"));
  {
    DensitoSex sex = densito_table_get_sex (table, row);
    const char *menopause = cell (table, row, DENSITO_FIELD_MENOPAUSE, buf);
    g_autofree char *meno = NULL;

    add_field (grid, _("Sex"), sex == DENSITO_SEX_FEMALE ? _("Female") : sex == DENSITO_SEX_MALE ? _("Male") : _("Unknown"), NULL);
    add_field (grid, _("Born"), cell (table, row, DENSITO_FIELD_BIRTH, buf), NULL);
    add_field (grid, _("Age group"), cell (table, row, DENSITO_FIELD_AGE, buf), NULL);
    menopause = cell (table, row, DENSITO_FIELD_MENOPAUSE, buf);
    if (densito_table_get_field_column (table, DENSITO_FIELD_MENOPAUSE) < 0)
      meno = g_strdup (_("not in the table"));
    else if (menopause == NULL || *menopause == '\0' || g_strcmp0 (menopause, "0") == 0)
      /* a man's table row says 0: no row for it, rather than "none" */
      meno = sex == DENSITO_SEX_MALE ? NULL : g_strdup (_("none"));
    else
      meno = g_strdup (menopause);
    if (meno != NULL)
      add_field (grid, _("Menopause"), meno, NULL);
  }

  for (guint c = 0; c < densito_table_get_n_columns (table); c++)
    if (densito_table_get_column_field (table, c) == DENSITO_FIELD_OTHER)
      {
        if (!any_other)
          grid = add_group (self, _("Other columns"));
        any_other = TRUE;
        add_field (grid, densito_table_get_column_name (table, c), densito_table_get_cell (table, row, c, buf), NULL);
      }

  grid = add_group (self, _("Source"));
  {
    g_autofree char *line = g_strdup_printf ("%u", densito_table_get_line (table, row));
    g_autofree char *base = g_path_get_basename (densito_table_get_path (table));
    add_field (grid, _("Table"), base, NULL);
    add_field (grid, _("Line"), line, NULL);
  }
}

/* Images */

static gsize
texture_bytes (GdkTexture *texture)
{
  return (gsize)gdk_texture_get_width (texture) * (gsize)gdk_texture_get_height (texture) * 4;
}

static GdkTexture *
cache_lookup (DensitoWindow *self,
              const char    *path)
{
  GdkTexture *texture = g_hash_table_lookup (self->textures, path);
  GList *link;

  if (texture == NULL)
    return NULL;
  /* Most recently used goes last. */
  link = g_queue_find_custom (&self->texture_order, path, (GCompareFunc)g_strcmp0);
  if (link != NULL)
    {
      g_queue_unlink (&self->texture_order, link);
      g_queue_push_tail_link (&self->texture_order, link);
    }
  return texture;
}

static void
cache_insert (DensitoWindow *self,
              const char    *path,
              GdkTexture    *texture)
{
  char *key;

  if (g_hash_table_contains (self->textures, path))
    return;
  key = g_strdup (path);
  g_hash_table_insert (self->textures, key, g_object_ref (texture));
  g_queue_push_tail (&self->texture_order, key);
  self->texture_bytes += texture_bytes (texture);

  /* Evict the least recently used, but never the one just added. */
  while (self->texture_bytes > TEXTURE_CACHE_BYTES && self->texture_order.length > 1)
    {
      char *old = g_queue_pop_head (&self->texture_order);
      GdkTexture *t = g_hash_table_lookup (self->textures, old);

      self->texture_bytes -= texture_bytes (t);
      g_hash_table_remove (self->textures, old);
    }
}

typedef struct _ImageLoad
{
  char           *path;
  char           *sidecar_path;
  guint           image;         /* index in the image index */
  guint           width;
  guint           height;
  GdkTexture     *texture;
  DensitoSidecar *sidecar;
} ImageLoad;

static void
image_load_free (ImageLoad *load)
{
  g_free (load->path);
  g_free (load->sidecar_path);
  g_clear_object (&load->texture);
  g_clear_object (&load->sidecar);
  g_free (load);
}

static void
image_load_thread (GTask        *task,
                   gpointer      source,
                   gpointer      data,
                   GCancellable *cancellable)
{
  ImageLoad *load = data;
  GError *error = NULL;

  if (load->texture == NULL)
    load->texture = gdk_texture_new_from_filename (load->path, &error);
  if (load->texture == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  if (load->sidecar_path == NULL)
    {
      /* A prefetch: the texture is all it wants. */
      g_task_return_boolean (task, TRUE);
      return;
    }
  load->sidecar = densito_sidecar_load (load->path, load->sidecar_path,
                                        (guint)gdk_texture_get_width (load->texture),
                                        (guint)gdk_texture_get_height (load->texture),
                                        NULL, cancellable, NULL);
  g_task_return_boolean (task, TRUE);
}

static void
image_loaded_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(DensitoWindow) self = user_data;
  ImageLoad *load = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_autofree char *base = g_path_get_basename (load->path);
          g_autofree char *title = g_strdup_printf (_("Cannot show %s"), base);
          densito_scan_view_set_message (self->scan_view, title, error->message);
          update_edit_state (self);
        }
      return;
    }

  cache_insert (self, load->path, load->texture);
  if (densito_scan_view_get_texture (self->scan_view) != load->texture)
    densito_scan_view_set_texture (self->scan_view, load->texture);
  install_stack (self, load);
  write_state (self);
}

/* Decodes (and, for a shown scan, reads the sidecar) in a worker thread;
 * @callback gets a reference to the window as its user data. */
static void
run_image_load (DensitoWindow       *self,
                ImageLoad           *load,
                GCancellable        *cancellable,
                GAsyncReadyCallback  callback,
                gpointer             source_tag)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, g_object_ref (self));

  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, load, (GDestroyNotify)image_load_free);
  g_task_run_in_thread (task, image_load_thread);
}

static void
prefetched_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(DensitoWindow) self = user_data;
  ImageLoad *load = g_task_get_task_data (G_TASK (result));

  if (g_task_propagate_boolean (G_TASK (result), NULL))
    cache_insert (self, load->path, load->texture);
}

/* Decodes the first scan of the patients just before and after the
 * selected one in the list, so that stepping shows them at once. */
static void
prefetch_neighbours (DensitoWindow *self)
{
  guint pos = densito_list_selection_get_selected (self->selection);
  GListModel *model = G_LIST_MODEL (self->model);
  DensitoImageIndex *images = densito_dataset_get_images (self->dataset);

  if (self->prefetch_cancellable != NULL)
    g_cancellable_cancel (self->prefetch_cancellable);
  g_clear_object (&self->prefetch_cancellable);
  self->held_prefetch = FALSE;
  if (pos == GTK_INVALID_LIST_POSITION || images == NULL)
    return;
  if (holding_work (self))
    {
      self->held_prefetch = TRUE;
      return;
    }
  self->prefetch_cancellable = g_cancellable_new ();

  for (int d = -1; d <= 1; d += 2)
    {
      g_autoptr(DensitoPatient) patient = NULL;
      const DensitoImage *img;
      const guint *idx;
      ImageLoad *load;
      guint n;

      if ((d < 0 && pos == 0) || pos + d >= g_list_model_get_n_items (model))
        continue;
      patient = g_list_model_get_item (model, pos + d);
      idx = row_images (self, densito_patient_get_row (patient), &n);
      if (n == 0)
        continue;
      img = densito_image_index_get_image (images, idx[0]);
      if (img->status != DENSITO_IMAGE_OK || g_hash_table_contains (self->textures, img->path))
        continue;
      load = g_new0 (ImageLoad, 1);
      load->path = g_strdup (img->path);
      run_image_load (self, load, self->prefetch_cancellable, prefetched_cb, prefetch_neighbours);
    }
}

/* Scrolls the tab strip so that the shown scan's tab is in view, once it
 * has its place (a frame later for tabs just made). */
static gboolean
reveal_tab_cb (GtkWidget     *box,
               GdkFrameClock *clock,
               gpointer       user_data)
{
  DensitoWindow *self = user_data;
  GtkWidget *viewport = gtk_widget_get_parent (box);
  GtkWidget *active = NULL;
  graphene_rect_t bounds;

  for (GtkWidget *c = gtk_widget_get_first_child (box); c != NULL; c = gtk_widget_get_next_sibling (c))
    if (GTK_IS_TOGGLE_BUTTON (c) && gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (c)))
      active = c;
  /* A tab made for this frame has its place in the next; one that gets
   * none (a hidden strip) is not waited for. */
  if (active != NULL && gtk_widget_get_width (active) == 0 && gtk_widget_get_mapped (box) &&
      ++self->reveal_tab_frames < 5)
    return G_SOURCE_CONTINUE;
  self->reveal_tab_tick = 0;
  if (active != NULL && GTK_IS_SCROLLABLE (viewport) && gtk_widget_compute_bounds (active, box, &bounds))
    gtk_adjustment_clamp_page (gtk_scrollable_get_hadjustment (GTK_SCROLLABLE (viewport)),
                               bounds.origin.x, bounds.origin.x + bounds.size.width);
  return G_SOURCE_REMOVE;
}

static void
reveal_tab (DensitoWindow *self)
{
  self->reveal_tab_frames = 0;
  if (self->reveal_tab_tick == 0)
    self->reveal_tab_tick = gtk_widget_add_tick_callback (GTK_WIDGET (self->thumbnail_box), reveal_tab_cb, self, NULL);
}

static void
show_image (DensitoWindow *self,
            guint          index)
{
  DensitoImageIndex *images = densito_dataset_get_images (self->dataset);
  const DensitoImage *img;
  const guint *idx;
  guint n;
  ImageLoad *load;
  GtkWidget *child;
  guint i = 0;

  g_cancellable_cancel (self->image_cancellable);
  g_clear_object (&self->image_cancellable);
  drop_held_load (self);
  g_clear_pointer (&self->image_name, g_free);
  leave_image (self);

  idx = row_images (self, (guint)self->current_row, &n);
  if (n == 0)
    {
      densito_scan_view_set_rois (self->scan_view, NULL);
      densito_scan_view_set_message (self->scan_view, _("No scan"), _("This patient has no image in the image folder."));
      update_edit_state (self);
      write_state (self);
      return;
    }
  index = MIN (index, n - 1);
  self->current_image = index;
  img = densito_image_index_get_image (images, idx[index]);
  self->image_name = g_strdup (img->name);

  /* Mark the thumbnail of this image. */
  for (child = gtk_widget_get_first_child (GTK_WIDGET (self->thumbnail_box)); child;
       child = gtk_widget_get_next_sibling (child), i++)
    if (GTK_IS_TOGGLE_BUTTON (child))
      gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (child), i == index);
  if (n > 1)
    reveal_tab (self);

  if (img->status == DENSITO_IMAGE_UNREADABLE)
    {
      g_autofree char *title = g_strdup_printf (_("Cannot show %s"), img->name);
      densito_scan_view_set_rois (self->scan_view, NULL);
      densito_scan_view_set_message (self->scan_view, title, img->problem);
      update_edit_state (self);
      write_state (self);
      return;
    }

  self->image_cancellable = g_cancellable_new ();
  load = g_new0 (ImageLoad, 1);
  load->path = g_strdup (img->path);
  /* A decoded scan shows in this frame; its ROIs follow from the thread. */
  load->texture = cache_lookup (self, img->path);
  if (load->texture != NULL)
    {
      g_object_ref (load->texture);
      densito_scan_view_set_texture (self->scan_view, load->texture);
      densito_scan_view_set_rois (self->scan_view, NULL);
    }
  load->sidecar_path = densito_dataset_dup_sidecar_path (self->dataset, idx[index]);
  load->image = idx[index];
  load->width = img->width;
  load->height = img->height;
  /* Its autosave is still being written: the worker may read the file
   * before the save lands, so the saved stack is what shows (saved_cb). */
  if (g_hash_table_contains (self->saving, GUINT_TO_POINTER (load->image)))
    self->install_waiting = (int)load->image;
  if (holding_work (self))
    self->held_load = load;
  else
    run_image_load (self, load, self->image_cancellable, image_loaded_cb, show_image);
}

static void
thumbnail_toggled_cb (GtkToggleButton *button,
                      DensitoWindow   *self)
{
  guint index = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (button), "image-index"));

  if (gtk_toggle_button_get_active (button) && index != self->current_image)
    show_image (self, index);
}

static void
build_thumbnails (DensitoWindow *self,
                  guint          row)
{
  DensitoImageIndex *images = densito_dataset_get_images (self->dataset);
  GtkToggleButton *group = NULL;
  const guint *idx;
  guint n;

  clear_box (self->thumbnail_box);
  idx = row_images (self, row, &n);
  for (guint i = 0; i < n; i++)
    {
      const DensitoImage *img = densito_image_index_get_image (images, idx[i]);
      const char *region = densito_region_display_name (img->region);
      g_autofree char *text = NULL;
      GtkWidget *button;
      guint same = 0, nth = 0;

      /* A tab says the region; the file is in the title and the tooltip
       * (with it, three tabs no longer fitted the pane). Scans of one
       * region are numbered. */
      for (guint j = 0; j < n; j++)
        if (densito_image_index_get_image (images, idx[j])->region == img->region)
          {
            same++;
            nth += j < i;
          }
      if (same > 1)
        /* Translators: a scan's tab when the patient has several scans of
         * one region, e.g. "Spine 2" */
        text = g_strdup_printf (C_("scan tab", "%s %u"), region, nth + 1);
      else
        text = g_strdup (region);
      button = gtk_toggle_button_new_with_label (text);

      gtk_widget_set_tooltip_text (button, img->path);
      g_object_set_data (G_OBJECT (button), "image-index", GUINT_TO_POINTER (i));
      g_object_set_data (G_OBJECT (button), "dataset-image", GUINT_TO_POINTER (idx[i]));
      g_object_set_data_full (G_OBJECT (button), "base-label", g_strdup (text), g_free);
      if (group != NULL)
        gtk_toggle_button_set_group (GTK_TOGGLE_BUTTON (button), group);
      else
        group = GTK_TOGGLE_BUTTON (button);
      g_signal_connect (button, "toggled", G_CALLBACK (thumbnail_toggled_cb), self);
      gtk_box_append (self->thumbnail_box, button);
    }
  update_thumbnail_marks (self);
}

static void
show_patient (DensitoWindow *self,
              guint          row)
{
  guint first = self->pending_image;

  /* Leave (and autosave) the old image before its thumbnails go. */
  leave_image (self);
  self->pending_image = 0;
  self->current_row = (int)row;
  self->current_image = G_MAXUINT;
  build_details (self, row);
  build_thumbnails (self, row);
  show_image (self, first);
  prefetch_neighbours (self);
}

/* Editing, saving and review */

static DensitoImageIndex *
images_of (DensitoWindow *self)
{
  return self->dataset ? densito_dataset_get_images (self->dataset) : NULL;
}

static const char *
image_display_name (DensitoWindow *self,
                    int            image)
{
  DensitoImageIndex *images = images_of (self);

  if (images == NULL || image < 0 || (guint)image >= densito_image_index_get_n_images (images))
    return "";
  return densito_image_index_get_image (images, (guint)image)->name;
}

static guint
stack_image (DensitoEditStack *stack)
{
  return GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (stack), "densito-image"));
}

/* The ROIs as they were loaded, to tell whether a shape was edited. */
static GPtrArray *
snapshot_rois (DensitoSidecar *sidecar)
{
  guint n = densito_sidecar_get_n_rois (sidecar);
  GPtrArray *rois = g_ptr_array_new_full (n, (GDestroyNotify)densito_roi_free);

  for (guint i = 0; i < n; i++)
    g_ptr_array_add (rois, densito_roi_copy (densito_sidecar_get_roi (sidecar, i)));
  return rois;
}

static gboolean
box_equal (const DensitoBox *a,
           const DensitoBox *b)
{
  return a->cx == b->cx && a->cy == b->cy && a->width == b->width && a->height == b->height &&
         a->angle == b->angle;
}

static gboolean
shapes_edited (DensitoEditStack *stack)
{
  DensitoSidecar *sidecar = densito_edit_stack_get_sidecar (stack);
  GPtrArray *loaded = g_object_get_data (G_OBJECT (stack), "densito-loaded-rois");
  guint n = densito_sidecar_get_n_rois (sidecar);

  if (loaded == NULL || loaded->len != n)
    return TRUE;
  for (guint i = 0; i < n; i++)
    {
      const DensitoRoi *a = g_ptr_array_index (loaded, i);
      const DensitoRoi *b = densito_sidecar_get_roi (sidecar, i);

      /* A moved polygon got new points in a new JSON object. */
      if (g_strcmp0 (a->label, b->label) != 0 || a->kind != b->kind ||
          (a->kind == DENSITO_SHAPE_BOX && !box_equal (&a->box, &b->box)) ||
          (a->kind != DENSITO_SHAPE_BOX && a->json != b->json))
        return TRUE;
    }
  return FALSE;
}

static DensitoReviewStatus
stack_review (DensitoEditStack *stack)
{
  return densito_sidecar_get_review (densito_edit_stack_get_sidecar (stack))->status;
}

static gboolean
any_unsaved (DensitoWindow *self)
{
  return (self->edits != NULL && densito_edit_stack_is_modified (self->edits)) ||
         g_hash_table_size (self->kept) > 0;
}

static void
update_progress (DensitoWindow *self)
{
  DensitoImageIndex *images = images_of (self);
  g_autofree char *text = NULL;
  g_autofree char *done_text = NULL;
  g_autofree char *total_text = NULL;
  guint total = 0, done = 0;

  if (images == NULL || densito_image_index_get_n_images (images) == 0)
    {
      gtk_widget_set_visible (GTK_WIDGET (self->review_progress_label), FALSE);
      return;
    }
  /* Only images linked to a patient can be reached from the list. */
  for (guint i = 0; i < densito_image_index_get_n_images (images); i++)
    if (densito_image_index_get_image (images, i)->row >= 0)
      {
        total++;
        if (densito_dataset_get_image_review (self->dataset, i) != DENSITO_REVIEW_UNREVIEWED)
          done++;
      }
  /* The locale's grouping and digits (I: glibc's flag for Persian digits). */
  done_text = g_strdup_printf ("%'Iu", done);
  total_text = g_strdup_printf ("%'Iu", total);
  /* Translators: "312 / 4,020 images reviewed"; the plural follows the total */
  text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s / %s image reviewed", "%s / %s images reviewed",
                                       total), done_text, total_text);
  gtk_label_set_text (self->review_progress_label, text);
  gtk_widget_set_visible (GTK_WIDGET (self->review_progress_label), TRUE);
}

/* The dataset's per-image facts (review, ROI count) follow the edits, so
 * the list, the progress and "next unreviewed" see them at once. */
static void
sync_facts (DensitoWindow    *self,
            DensitoEditStack *stack)
{
  DensitoSidecar *sidecar = densito_edit_stack_get_sidecar (stack);
  guint image = stack_image (stack);
  DensitoReviewStatus before, now = stack_review (stack);

  /* A stack of a dataset opened before this one says nothing about it. */
  if (self->dataset == NULL || images_of (self) == NULL ||
      image >= densito_image_index_get_n_images (images_of (self)) ||
      g_strcmp0 (densito_image_index_get_image (images_of (self), image)->path,
                 densito_sidecar_get_image_path (sidecar)) != 0)
    return;
  before = densito_dataset_get_image_review (self->dataset, image);
  densito_dataset_update_image_sidecar (self->dataset, image, sidecar);
  if (before != now)
    {
      update_progress (self);
      if (self->model != NULL)
        densito_patient_model_refresh (self->model);
    }
}

/* Setting the same text again still relayouts the window: during a drag
 * this runs on every motion, so only real changes go through. */
static void
set_label (GtkLabel   *label,
           const char *text)
{
  if (g_strcmp0 (gtk_label_get_text (label), text) != 0)
    gtk_label_set_text (label, text);
}

static void
set_tooltip (GtkWidget  *widget,
             const char *text)
{
  const char *old = gtk_widget_get_tooltip_text (widget);

  if (g_strcmp0 (old, text) != 0)
    gtk_widget_set_tooltip_text (widget, text);
}

static void
update_thumbnail_marks (DensitoWindow *self)
{
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->thumbnail_box)); child;
       child = gtk_widget_get_next_sibling (child))
    {
      guint image = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (child), "dataset-image"));
      const char *base = g_object_get_data (G_OBJECT (child), "base-label");
      gboolean modified;

      if (base == NULL)
        continue;
      modified = g_hash_table_contains (self->kept, GUINT_TO_POINTER (image)) ||
                 (self->edits != NULL && self->stack_image == (int)image &&
                  densito_edit_stack_is_modified (self->edits));
      if (modified)
        {
          /* Translators: a scan's tab with unsaved changes */
          g_autofree char *text = g_strdup_printf (_("• %s"), base);
          if (g_strcmp0 (gtk_button_get_label (GTK_BUTTON (child)), text) != 0)
            gtk_button_set_label (GTK_BUTTON (child), text);
          set_tooltip (child, _("Unsaved changes"));
        }
      else
        {
          if (g_strcmp0 (gtk_button_get_label (GTK_BUTTON (child)), base) != 0)
            gtk_button_set_label (GTK_BUTTON (child), base);
          set_tooltip (child, densito_image_index_get_image (images_of (self), image)->path);
        }
    }
}

static const char *
review_display (DensitoReviewStatus status)
{
  switch (status)
    {
    case DENSITO_REVIEW_ACCEPTED: return C_("review", "Accepted");
    case DENSITO_REVIEW_CORRECTED: return C_("review", "Corrected");
    case DENSITO_REVIEW_EXCLUDED: return C_("review", "Excluded");
    case DENSITO_REVIEW_UNREVIEWED:
    default: return C_("review", "Unreviewed");
    }
}

/* Title, thumbnail mark, undo/redo, the review line and which edit
 * actions apply, after any change. */
static void
update_edit_state (DensitoWindow *self)
{
  gboolean editing = self->edits != NULL;
  gboolean modified = editing && densito_edit_stack_is_modified (self->edits);
  gboolean selected = editing && densito_scan_view_get_selected (self->scan_view) >= 0;
  g_autofree char *title = NULL;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.undo", editing && densito_edit_stack_can_undo (self->edits));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.redo", editing && densito_edit_stack_can_redo (self->edits));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.save", any_unsaved (self) || self->banner_image >= 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.add-roi", editing);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.copy-previous-rois", editing);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.delete-roi", selected);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.duplicate-roi", selected);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.relabel-roi", selected);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.review-accept", editing);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.review-correct", editing);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.review-exclude", editing);

  if (self->image_name != NULL)
    /* Translators: the title of an image with unsaved changes */
    title = modified ? g_strdup_printf (_("• %s"), self->image_name) : g_strdup (self->image_name);
  else
    title = g_strdup (_("Densito"));
  set_label (self->title_label, title);
  set_tooltip (GTK_WIDGET (self->title_label), modified ? _("Unsaved changes") : NULL);
  {
    g_autofree char *window_title = self->image_name ? g_strdup_printf ("%s — %s", title, _("Densito"))
                                                     : g_strdup (title);
    if (g_strcmp0 (gtk_window_get_title (GTK_WINDOW (self)), window_title) != 0)
      gtk_window_set_title (GTK_WINDOW (self), window_title);
  }

  if (editing)
    {
      const DensitoReview *review = densito_sidecar_get_review (densito_edit_stack_get_sidecar (self->edits));
      g_autofree char *text = NULL;

      if (review->status == DENSITO_REVIEW_EXCLUDED && review->reason && *review->reason)
        /* Translators: "Excluded: motion artifact" */
        text = g_strdup_printf (_("%s: %s"), review_display (review->status), review->reason);
      else if (review->status == DENSITO_REVIEW_UNREVIEWED && shapes_edited (self->edits))
        text = g_strdup (_("Edited"));
      else
        text = g_strdup (review_display (review->status));
      set_label (self->review_status_label, text);
      set_tooltip (GTK_WIDGET (self->review_status_label),
                                   review->status == DENSITO_REVIEW_UNREVIEWED && shapes_edited (self->edits)
                                   ? _("Not reviewed yet. The ROIs were edited, so saving marks the scan corrected.")
                                   : text);
    }
  else
    set_label (self->review_status_label, "");

  /* The button of the current state looks pressed. */
  {
    DensitoReviewStatus status = editing ? stack_review (self->edits) : DENSITO_REVIEW_UNREVIEWED;
    GtkWidget *buttons[] = { self->accept_button, self->correct_button, self->exclude_button };
    DensitoReviewStatus states[] = { DENSITO_REVIEW_ACCEPTED, DENSITO_REVIEW_CORRECTED, DENSITO_REVIEW_EXCLUDED };

    for (guint i = 0; i < G_N_ELEMENTS (buttons); i++)
      if (status == states[i])
        gtk_widget_add_css_class (buttons[i], "review-current");
      else
        gtk_widget_remove_css_class (buttons[i], "review-current");
  }
  update_thumbnail_marks (self);
}

static void
stack_changed_cb (DensitoEditStack *stack,
                  DensitoWindow    *self)
{
  sync_facts (self, stack);
  if (stack == self->edits)
    update_edit_state (self);
  write_state (self);
}

static void
selected_roi_cb (DensitoScanView *view,
                 GParamSpec      *pspec,
                 DensitoWindow   *self)
{
  update_edit_state (self);
}

static DensitoEditStack *
new_stack (DensitoWindow  *self,
           DensitoSidecar *sidecar,
           guint           image)
{
  DensitoEditStack *stack = densito_edit_stack_new (sidecar);

  g_object_set_data (G_OBJECT (stack), "densito-image", GUINT_TO_POINTER (image));
  g_object_set_data_full (G_OBJECT (stack), "densito-loaded-rois", snapshot_rois (sidecar),
                          (GDestroyNotify)g_ptr_array_unref);
  g_signal_connect_object (stack, "changed", G_CALLBACK (stack_changed_cb), self, 0);
  return stack;
}

static const char *
region_name (DensitoRegion region)
{
  return region == DENSITO_REGION_UNKNOWN ? NULL : densito_region_to_string (region);
}

/* The loaded image's stack: the one kept with unsaved edits, or a new one
 * over the sidecar read in the worker (an empty one when there is none). */
static void
install_stack (DensitoWindow *self,
               ImageLoad     *load)
{
  g_autoptr(DensitoEditStack) stack = NULL;
  gpointer kept = NULL;

  /* Installed already, when its background save ended before the
   * decode: that stack is newer than what the worker read. */
  if (self->edits != NULL && self->stack_image == (int)load->image)
    return;
  if (g_hash_table_contains (self->saving, GUINT_TO_POINTER (load->image)))
    {
      /* Its autosave is still being written: it shows once done. */
      self->install_waiting = (int)load->image;
      update_edit_state (self);
      return;
    }
  if (g_hash_table_steal_extended (self->kept, GUINT_TO_POINTER (load->image), NULL, &kept))
    stack = kept;
  else
    {
      g_autoptr(DensitoSidecar) sidecar = NULL;

      if (load->sidecar != NULL)
        sidecar = g_object_ref (load->sidecar);
      else
        sidecar = densito_sidecar_new (load->path, load->sidecar_path,
                                       (guint)gdk_texture_get_width (load->texture),
                                       (guint)gdk_texture_get_height (load->texture));
      stack = new_stack (self, sidecar, load->image);
    }
  install_existing (self, stack);
}

static void
install_existing (DensitoWindow    *self,
                  DensitoEditStack *stack)
{
  guint image = stack_image (stack);
  const DensitoImage *img = densito_image_index_get_image (images_of (self), image);

  g_clear_object (&self->edits);
  self->edits = g_object_ref (stack);
  self->stack_image = (int)image;
  densito_scan_view_set_edit_stack (self->scan_view, stack, region_name (img->region));
  sync_facts (self, stack);
  update_edit_state (self);
}

static void
hide_save_banner (DensitoWindow *self)
{
  g_clear_handle_id (&self->banner_timeout, g_source_remove);
  self->banner_image = -1;
  self->banner_conflict = FALSE;
  g_clear_pointer (&self->save_error, g_free);
  gtk_revealer_set_reveal_child (self->save_banner_revealer, FALSE);
}

static gboolean
banner_timeout_cb (gpointer data)
{
  DensitoWindow *self = data;

  self->banner_timeout = 0;
  hide_save_banner (self);
  write_state (self);
  return G_SOURCE_REMOVE;
}

/* A problem with a save (@info FALSE) stays until it is solved; a piece of
 * information goes by itself after a few seconds. */
static void
show_save_banner (DensitoWindow *self,
                  int            image,
                  gboolean       conflict,
                  gboolean       info,
                  const char    *text)
{
  /* Information never hides a problem that is still there. */
  if (info && self->banner_image >= 0 && gtk_revealer_get_reveal_child (self->save_banner_revealer))
    return;
  g_clear_handle_id (&self->banner_timeout, g_source_remove);
  if (info)
    self->banner_timeout = g_timeout_add_seconds (6, banner_timeout_cb, self);
  self->banner_image = image;
  self->banner_conflict = conflict;
  g_free (self->save_error);
  self->save_error = g_strdup (text);
  gtk_label_set_text (self->save_banner_label, text);
  gtk_widget_set_visible (self->reload_theirs_button, conflict);
  gtk_widget_set_visible (self->keep_mine_button, conflict);
  gtk_widget_set_visible (self->retry_save_button, !conflict && !info);
  if (info)
    gtk_widget_remove_css_class (self->save_banner, "warning");
  else
    gtk_widget_add_css_class (self->save_banner, "warning");
  gtk_revealer_set_reveal_child (self->save_banner_revealer, TRUE);
  write_state (self);
}

/* Edited shapes make the review "corrected" (the operator changed what
 * the scanner drew); an exclusion stays. */
static void
prepare_save (DensitoEditStack *stack)
{
  DensitoReviewStatus status = stack_review (stack);

  if ((status == DENSITO_REVIEW_UNREVIEWED || status == DENSITO_REVIEW_ACCEPTED) && shapes_edited (stack))
    densito_edit_stack_set_review (stack, DENSITO_REVIEW_CORRECTED, NULL);
}

/* After a save: on failure the edits stay (in self->kept when the image is
 * not shown) and the banner says why. */
static gboolean
finish_save (DensitoWindow    *self,
             DensitoEditStack *stack,
             const GError     *error)
{
  guint image = stack_image (stack);

  if (error != NULL)
    {
      g_autofree char *text = NULL;
      gboolean conflict = g_error_matches (error, DENSITO_SIDECAR_ERROR, DENSITO_SIDECAR_ERROR_CONFLICT);

      if (stack != self->edits)
        g_hash_table_replace (self->kept, GUINT_TO_POINTER (image), g_object_ref (stack));
      if (conflict)
        /* Translators: the first %s is the core's sentence about the file */
        text = g_strdup_printf (_("%s. Reload theirs and drop your edits of %s, or keep yours as a copy beside it."),
                                error->message, image_display_name (self, (int)image));
      else
        text = g_strdup_printf (_("%s. Your edits of %s are kept in this window until they can be saved."),
                                error->message, image_display_name (self, (int)image));
      show_save_banner (self, (int)image, conflict, FALSE, text);
      update_edit_state (self);
      return FALSE;
    }

  /* The core marked saved the state that was written. */
  if (!densito_edit_stack_is_modified (stack))
    g_hash_table_remove (self->kept, GUINT_TO_POINTER (image));
  if (self->banner_image == (int)image)
    hide_save_banner (self);
  sync_facts (self, stack);
  update_edit_state (self);
  write_state (self);
  return TRUE;
}

static void go_on_after_saves (DensitoWindow    *self);
static void save_stack        (DensitoWindow    *self,
                               DensitoEditStack *stack);

static void
saved_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(DensitoWindow) self = user_data;
  DensitoEditStack *stack = DENSITO_EDIT_STACK (source);
  g_autoptr(GError) error = NULL;
  guint image = stack_image (stack);
  gboolean again;

  /* Applied to the stack (on this thread) even when the window is gone. */
  densito_edit_stack_save_finish (stack, result, &error);
  if (self->saving == NULL)
    return;     /* the window is gone; the file is written (or not) all the same */
  /* Keeps the stack alive until this callback is done with it. */
  g_object_ref (stack);
  g_hash_table_remove (self->saving, GUINT_TO_POINTER (image));
  again = GPOINTER_TO_INT (g_object_steal_data (G_OBJECT (stack), "densito-save-again"));
  finish_save (self, stack, error);

  /* Came back to this image while it was written: show it now. */
  if (self->install_waiting == (int)image)
    {
      self->install_waiting = -1;
      g_hash_table_remove (self->kept, GUINT_TO_POINTER (image));
      install_existing (self, stack);
    }

  /* Saved again (Ctrl+S, or leaving it) while it was written: the edits
   * made meanwhile go now. */
  if (again && error == NULL && densito_edit_stack_is_modified (stack))
    save_stack (self, stack);

  if (g_hash_table_size (self->saving) == 0)
    go_on_after_saves (self);
  write_state (self);
  g_object_unref (stack);
}

/* Every save: the review follows the edits here; a worker writes what the
 * stack holds now (one fsync'd file: measured 2-12 ms, more on a busy
 * disk), while editing goes on; saved_cb marks saved what was written.
 * A stack that is being written is written again once that ends. */
static void
save_stack (DensitoWindow    *self,
            DensitoEditStack *stack)
{
  guint image = stack_image (stack);

  if (g_hash_table_lookup (self->saving, GUINT_TO_POINTER (image)) == stack)
    {
      g_object_set_data (G_OBJECT (stack), "densito-save-again", GINT_TO_POINTER (TRUE));
      return;
    }
  prepare_save (stack);
  g_hash_table_replace (self->saving, GUINT_TO_POINTER (image), g_object_ref (stack));
  densito_edit_stack_save_async (stack, NULL, saved_cb, g_object_ref (self));
}

/* Saves the shown image and every kept one. */
static void
save_all (DensitoWindow *self)
{
  g_autoptr(GPtrArray) stacks = g_ptr_array_new_with_free_func (g_object_unref);
  GHashTableIter iter;
  gpointer value;

  if (self->edits != NULL && densito_edit_stack_is_modified (self->edits))
    g_ptr_array_add (stacks, g_object_ref (self->edits));
  g_hash_table_iter_init (&iter, self->kept);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (stacks, g_object_ref (value));
  for (guint i = 0; i < stacks->len; i++)
    {
      DensitoEditStack *stack = g_ptr_array_index (stacks, i);

      if (densito_edit_stack_is_modified (stack))
        save_stack (self, stack);
      else
        g_hash_table_remove (self->kept, GUINT_TO_POINTER (stack_image (stack)));
    }
}

/* Before another image shows: autosave (or keep the edits in memory when
 * autosave is off, or when the save fails). */
static void
leave_image (DensitoWindow *self)
{
  g_autoptr(DensitoEditStack) stack = g_steal_pointer (&self->edits);

  if (self->copy_cancellable != NULL)
    g_cancellable_cancel (self->copy_cancellable);
  g_clear_object (&self->copy_cancellable);
  self->stack_image = -1;
  self->install_waiting = -1;
  if (stack == NULL)
    return;
  densito_scan_view_set_edit_stack (self->scan_view, NULL, NULL);
  if (densito_edit_stack_is_modified (stack))
    {
      if (self->autosave)
        save_stack (self, stack);
      else
        g_hash_table_replace (self->kept, GUINT_TO_POINTER (stack_image (stack)), g_object_ref (stack));
    }
  update_edit_state (self);
}

static GtkWidget *
inner_list_view (DensitoWindow *self)
{
  for (GtkWidget *c = gtk_widget_get_first_child (GTK_WIDGET (self->column_view)); c;
       c = gtk_widget_get_next_sibling (c))
    if (GTK_IS_LIST_VIEW (c))
      return c;
  return NULL;
}

/* Shows image @image (index among the row's images) of the patient at
 * list position @pos. */
static void
go_to (DensitoWindow *self,
       guint          pos,
       guint          image)
{
  GtkWidget *list = inner_list_view (self);

  finish_show_after_frame (self);
  if (pos >= g_list_model_get_n_items (G_LIST_MODEL (self->selection)))
    unlimit_list (self);
  if (pos == densito_list_selection_get_selected (self->selection))
    {
      show_image (self, image);
      return;
    }
  self->pending_image = image;
  densito_list_selection_set_selected (self->selection, pos);
  self->pending_image = 0;
  if (list != NULL)
    gtk_widget_activate_action (list, "list.scroll-to-item", "u", pos);
}

/* The first unreviewed, readable image in list order from (@pos, @image)
 * on, wrapping around once. It looks through the model, which has every
 * row, not the list, which may not have all of them yet (limit_list). */
static gboolean
find_unreviewed (DensitoWindow *self,
                 guint          pos,
                 guint          image,
                 guint         *found_pos,
                 guint         *found_image)
{
  GListModel *model = G_LIST_MODEL (self->model);
  DensitoImageIndex *images = images_of (self);
  guint n = self->model != NULL ? g_list_model_get_n_items (model) : 0;

  if (images == NULL || n == 0)
    return FALSE;
  for (guint k = 0; k <= n; k++)
    {
      guint p = (pos + k) % n;
      g_autoptr(DensitoPatient) patient = g_list_model_get_item (model, p);
      guint n_img;
      const guint *idx = row_images (self, densito_patient_get_row (patient), &n_img);
      guint from = k == 0 ? image : 0;
      guint to = k == n ? MIN (image, n_img) : n_img;

      for (guint i = from; i < to; i++)
        if (densito_dataset_get_image_review (self->dataset, idx[i]) == DENSITO_REVIEW_UNREVIEWED &&
            densito_image_index_get_image (images, idx[i])->status == DENSITO_IMAGE_OK)
          {
            *found_pos = p;
            *found_image = i;
            return TRUE;
          }
    }
  return FALSE;
}

static void
open_next_unreviewed (DensitoWindow *self)
{
  guint pos;
  guint p, i;

  finish_show_after_frame (self);
  pos = densito_list_selection_get_selected (self->selection);
  if (pos == GTK_INVALID_LIST_POSITION)
    pos = 0;
  if (find_unreviewed (self, pos, self->current_image == G_MAXUINT ? 0 : self->current_image + 1, &p, &i))
    go_to (self, p, i);
  else
    show_save_banner (self, -1, FALSE, TRUE, _("Every image in the list is reviewed."));
}

/* Opening a dataset resumes at its first unreviewed image. */
static void
resume_review (DensitoWindow *self)
{
  guint p, i;

  self->resume_pending = FALSE;
  if (self->edits != NULL && densito_edit_stack_is_modified (self->edits))
    return;
  if (find_unreviewed (self, 0, 0, &p, &i))
    go_to (self, p, i);
}

static void
set_review (DensitoWindow       *self,
            DensitoReviewStatus  status,
            const char          *reason)
{
  if (self->edits == NULL)
    return;
  /* Accepting edited ROIs records what happened: they were corrected. */
  if (status == DENSITO_REVIEW_ACCEPTED && shapes_edited (self->edits))
    status = DENSITO_REVIEW_CORRECTED;
  densito_edit_stack_set_review (self->edits, status, reason);
}

static void
exclude_response_cb (GtkDialog     *dialog,
                     int            response,
                     DensitoWindow *self)
{
  GtkEditable *entry = g_object_get_data (G_OBJECT (dialog), "reason-entry");
  g_autofree char *reason = g_strstrip (g_strdup (gtk_editable_get_text (entry)));
  guint image = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (dialog), "densito-image"));

  gtk_window_destroy (GTK_WINDOW (dialog));
  if (response != GTK_RESPONSE_ACCEPT || *reason == '\0')
    return;
  if (self->edits == NULL || self->stack_image != (int)image)
    return;
  set_review (self, DENSITO_REVIEW_EXCLUDED, reason);
  open_next_unreviewed (self);
}

static void
reason_changed_cb (GtkEditable *entry,
                   GtkDialog   *dialog)
{
  g_autofree char *text = g_strstrip (g_strdup (gtk_editable_get_text (entry)));

  gtk_dialog_set_response_sensitive (dialog, GTK_RESPONSE_ACCEPT, *text != '\0');
}

static void
reason_chosen_cb (GtkButton   *button,
                  GtkEditable *entry)
{
  gtk_editable_set_text (entry, gtk_button_get_label (button));
  gtk_widget_grab_focus (GTK_WIDGET (entry));
  gtk_editable_set_position (entry, -1);
}

/* A small dialog that asks why the image is excluded. */
static void
ask_exclude_reason (DensitoWindow *self)
{
  static const char *reasons[] = {
    N_("Motion artifact"), N_("Positioning"), N_("Metal or implant"), N_("Image quality"),
  };
  GtkWidget *dialog;
  GtkWidget *area;
  GtkWidget *entry;
  GtkWidget *flow;
  g_autofree char *title = g_strdup_printf (_("Exclude %s?"), self->image_name ? self->image_name : "");

  dialog = gtk_message_dialog_new (GTK_WINDOW (self), GTK_DIALOG_MODAL | GTK_DIALOG_DESTROY_WITH_PARENT,
                                   GTK_MESSAGE_QUESTION, GTK_BUTTONS_NONE, "%s", title);
  gtk_message_dialog_format_secondary_text (GTK_MESSAGE_DIALOG (dialog), "%s",
                                            _("The image stays in the dataset, marked as excluded from "
                                              "analysis. Say why, so the decision can be checked later."));
  gtk_dialog_add_button (GTK_DIALOG (dialog), _("_Cancel"), GTK_RESPONSE_CANCEL);
  gtk_dialog_add_button (GTK_DIALOG (dialog), _("_Exclude"), GTK_RESPONSE_ACCEPT);
  gtk_widget_add_css_class (gtk_dialog_get_widget_for_response (GTK_DIALOG (dialog), GTK_RESPONSE_ACCEPT),
                            "destructive-action");
  gtk_dialog_set_default_response (GTK_DIALOG (dialog), GTK_RESPONSE_ACCEPT);
  gtk_dialog_set_response_sensitive (GTK_DIALOG (dialog), GTK_RESPONSE_ACCEPT, FALSE);

  area = gtk_message_dialog_get_message_area (GTK_MESSAGE_DIALOG (dialog));
  entry = gtk_entry_new ();
  gtk_entry_set_placeholder_text (GTK_ENTRY (entry), _("Reason"));
  gtk_entry_set_activates_default (GTK_ENTRY (entry), TRUE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Reason for excluding the image"), -1);
  flow = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  gtk_widget_set_halign (flow, GTK_ALIGN_CENTER);
  for (guint i = 0; i < G_N_ELEMENTS (reasons); i++)
    {
      GtkWidget *b = gtk_button_new_with_label (_(reasons[i]));
      gtk_widget_add_css_class (b, "pill");
      gtk_widget_add_css_class (b, "small");
      g_signal_connect (b, "clicked", G_CALLBACK (reason_chosen_cb), entry);
      gtk_box_append (GTK_BOX (flow), b);
    }
  gtk_box_append (GTK_BOX (area), flow);
  gtk_box_append (GTK_BOX (area), entry);

  g_object_set_data (G_OBJECT (dialog), "reason-entry", entry);
  g_object_set_data (G_OBJECT (dialog), "densito-image", GUINT_TO_POINTER ((guint)self->stack_image));
  g_signal_connect (entry, "changed", G_CALLBACK (reason_changed_cb), dialog);
  g_signal_connect (dialog, "response", G_CALLBACK (exclude_response_cb), self);
  gtk_widget_set_name (dialog, "exclude-dialog");
  gtk_window_present (GTK_WINDOW (dialog));
  gtk_widget_grab_focus (entry);
}

/* Copy the ROIs of the previous image of the same region */

typedef struct
{
  char  *path;
  char  *sidecar_path;
  guint  width;
  guint  height;
  guint  target;   /* the image they go to */
  char  *from;     /* display name of the source */
} CopyLoad;

static void
copy_load_free (CopyLoad *c)
{
  g_free (c->path);
  g_free (c->sidecar_path);
  g_free (c->from);
  g_free (c);
}

static void
copy_rois_into (DensitoWindow  *self,
                DensitoSidecar *source,
                const char     *from)
{
  guint n = densito_sidecar_get_n_rois (source);
  g_autofree DensitoRoi *rois = NULL;
  g_autofree char *text = NULL;

  if (self->edits == NULL)
    return;
  if (n == 0)
    {
      text = g_strdup_printf (_("%s has no ROIs to copy."), from);
      show_save_banner (self, -1, FALSE, TRUE, text);
      return;
    }
  /* Shallow copies: add_many copies what it keeps. */
  rois = g_new (DensitoRoi, n);
  for (guint i = 0; i < n; i++)
    rois[i] = *densito_sidecar_get_roi (source, i);
  densito_edit_stack_add_many (self->edits, rois, n);
  text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Copied %u ROI from %s (Ctrl+Z undoes it).",
                                       "Copied %u ROIs from %s (Ctrl+Z undoes it).", n), n, from);
  show_save_banner (self, -1, FALSE, TRUE, text);
}

static void
copy_load_thread (GTask        *task,
                  gpointer      source,
                  gpointer      data,
                  GCancellable *cancellable)
{
  CopyLoad *c = data;
  GError *error = NULL;
  DensitoSidecar *sidecar = densito_sidecar_load (c->path, c->sidecar_path, c->width, c->height,
                                                  NULL, cancellable, &error);

  if (sidecar == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, sidecar, g_object_unref);
}

static void
copy_loaded_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(DensitoWindow) self = user_data;
  CopyLoad *c = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;
  g_autoptr(DensitoSidecar) sidecar = g_task_propagate_pointer (G_TASK (result), &error);

  if (sidecar == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_save_banner (self, -1, FALSE, FALSE, error->message);
      return;
    }
  if (self->stack_image == (int)c->target)
    copy_rois_into (self, sidecar, c->from);
}

static void
copy_previous_rois (DensitoWindow *self)
{
  DensitoImageIndex *images = images_of (self);
  GListModel *model = G_LIST_MODEL (self->model);
  guint pos = densito_list_selection_get_selected (self->selection);
  DensitoRegion region;
  int source = -1;

  if (self->edits == NULL || images == NULL || pos == GTK_INVALID_LIST_POSITION)
    return;
  region = densito_image_index_get_image (images, (guint)self->stack_image)->region;

  /* Back through the list: this patient's earlier scans, then the
   * patients above, each from its last scan. */
  for (int p = (int)pos; p >= 0 && source < 0; p--)
    {
      g_autoptr(DensitoPatient) patient = g_list_model_get_item (model, (guint)p);
      guint n;
      const guint *idx = row_images (self, densito_patient_get_row (patient), &n);
      int last = p == (int)pos ? (int)self->current_image - 1 : (int)n - 1;

      for (int i = last; i >= 0; i--)
        {
          const DensitoImage *img = densito_image_index_get_image (images, idx[i]);
          gboolean has_rois = densito_dataset_get_image_n_rois (self->dataset, idx[i]) > 0 ||
                              g_hash_table_contains (self->kept, GUINT_TO_POINTER (idx[i]));

          if (img->region == region && img->status == DENSITO_IMAGE_OK && has_rois)
            {
              source = (int)idx[i];
              break;
            }
        }
    }

  if (source < 0)
    {
      g_autofree char *text = g_strdup_printf (_("No earlier %s scan in the list has ROIs to copy."),
                                               densito_region_display_name (region));
      show_save_banner (self, -1, FALSE, TRUE, text);
      return;
    }

  {
    DensitoEditStack *kept = g_hash_table_lookup (self->kept, GUINT_TO_POINTER ((guint)source));
    const DensitoImage *img = densito_image_index_get_image (images, (guint)source);
    CopyLoad *c;
    g_autoptr(GTask) task = NULL;

    if (kept != NULL)
      {
        copy_rois_into (self, densito_edit_stack_get_sidecar (kept), img->name);
        return;
      }
    c = g_new0 (CopyLoad, 1);
    c->path = g_strdup (img->path);
    c->sidecar_path = densito_dataset_dup_sidecar_path (self->dataset, (guint)source);
    c->width = img->width;
    c->height = img->height;
    c->target = (guint)self->stack_image;
    c->from = g_strdup (img->name);
    if (self->copy_cancellable != NULL)
      g_cancellable_cancel (self->copy_cancellable);
    g_clear_object (&self->copy_cancellable);
    self->copy_cancellable = g_cancellable_new ();
    task = g_task_new (NULL, self->copy_cancellable, copy_loaded_cb, g_object_ref (self));
    g_task_set_source_tag (task, copy_previous_rois);
    g_task_set_task_data (task, c, (GDestroyNotify)copy_load_free);
    g_task_run_in_thread (task, copy_load_thread);
  }
}

/* Conflicts */

/* Drops the edits of the banner's image and shows the file on disk. */
static void
reload_from_disk (DensitoWindow *self,
                  guint          image)
{
  DensitoEditStack *kept = g_hash_table_lookup (self->kept, GUINT_TO_POINTER (image));

  /* A scan not shown: its facts become those of the file on disk, which
   * the core kept from the failed save (no I/O here). */
  if (kept != NULL && (self->edits == NULL || self->stack_image != (int)image) && self->dataset != NULL)
    {
      DensitoSidecar *mine = densito_edit_stack_get_sidecar (kept);
      g_autoptr(DensitoSidecar) theirs = densito_sidecar_dup_theirs (mine);

      /* None when they deleted it: then the scan has no sidecar. */
      if (theirs == NULL)
        theirs = densito_sidecar_new (densito_sidecar_get_image_path (mine), densito_sidecar_get_path (mine), 0, 0);
      densito_dataset_update_image_sidecar (self->dataset, image, theirs);
      update_progress (self);
      if (self->model != NULL)
        densito_patient_model_refresh (self->model);
    }
  g_hash_table_remove (self->kept, GUINT_TO_POINTER (image));
  if (self->edits != NULL && self->stack_image == (int)image)
    {
      /* Forget the stack, so the reload reads the file anew. */
      g_clear_object (&self->edits);
      self->stack_image = -1;
      densito_scan_view_set_edit_stack (self->scan_view, NULL, NULL);
      {
        guint again = self->current_image;
        self->current_image = G_MAXUINT;
        show_image (self, again);
      }
    }
  else
    update_edit_state (self);
}

/* "Keep Mine as a Copy": the version in memory, written beside the file
 * as <image stem>.mine-<time>.json in a worker. */
typedef struct
{
  char  *path;
  char  *data;
  gsize  len;
  int    image;
} MineCopy;

static void
mine_copy_free (MineCopy *copy)
{
  g_free (copy->path);
  g_free (copy->data);
  g_free (copy);
}

static MineCopy *
mine_copy_new (DensitoEditStack *stack,
               int               image)
{
  DensitoSidecar *sidecar = densito_edit_stack_get_sidecar (stack);
  const char *path = densito_sidecar_get_path (sidecar);
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%Y%m%dT%H%M%S");
  g_autofree char *stem = g_str_has_suffix (path, ".json") ? g_strndup (path, strlen (path) - 5) : g_strdup (path);
  MineCopy *copy = g_new0 (MineCopy, 1);

  copy->path = g_strdup_printf ("%s.mine-%s.json", stem, stamp);
  copy->data = densito_sidecar_to_data (sidecar, &copy->len);
  copy->image = image;
  return copy;
}

static void
mine_copy_thread (GTask        *task,
                  gpointer      source,
                  gpointer      data,
                  GCancellable *cancellable)
{
  MineCopy *copy = data;
  GError *error = NULL;

  if (g_file_set_contents_full (copy->path, copy->data, (gssize)copy->len,
                                G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE, 0644, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
mine_copy_written_cb (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(DensitoWindow) self = user_data;
  MineCopy *copy = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_autofree char *base = NULL;

  if (self->saving == NULL)
    return;     /* the window is gone */
  self->writing_mine = FALSE;
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      text = g_strdup_printf (_("Cannot write your version as a copy: %s. Your edits are still here."),
                              error->message);
      show_save_banner (self, copy->image, TRUE, FALSE, text);
      return;
    }
  hide_save_banner (self);
  reload_from_disk (self, (guint)copy->image);
  base = g_filename_display_basename (copy->path);
  text = g_strdup_printf (_("Your version was saved as %s; the image shows the version on disk."), base);
  show_save_banner (self, -1, FALSE, TRUE, text);
}

static DensitoEditStack *
banner_stack (DensitoWindow *self)
{
  if (self->banner_image < 0)
    return NULL;
  if (self->edits != NULL && self->stack_image == self->banner_image)
    return self->edits;
  return g_hash_table_lookup (self->kept, GUINT_TO_POINTER ((guint)self->banner_image));
}

static void
reload_theirs_action (GtkWidget  *widget,
                      const char *name,
                      GVariant   *param)
{
  DensitoWindow *self = DENSITO_WINDOW (widget);
  int image = self->banner_image;

  if (image < 0 || !self->banner_conflict || self->writing_mine)
    return;
  hide_save_banner (self);
  reload_from_disk (self, (guint)image);
  write_state (self);
}

static void
keep_mine_action (GtkWidget  *widget,
                  const char *name,
                  GVariant   *param)
{
  DensitoWindow *self = DENSITO_WINDOW (widget);
  DensitoEditStack *stack = banner_stack (self);
  g_autoptr(GTask) task = NULL;

  if (stack == NULL || !self->banner_conflict || self->writing_mine)
    return;
  self->writing_mine = TRUE;
  task = g_task_new (NULL, NULL, mine_copy_written_cb, g_object_ref (self));
  g_task_set_source_tag (task, keep_mine_action);
  g_task_set_task_data (task, mine_copy_new (stack, self->banner_image), (GDestroyNotify)mine_copy_free);
  g_task_run_in_thread (task, mine_copy_thread);
}

/* Closing with unsaved edits */

typedef enum
{
  AFTER_CLOSE,
  AFTER_OPEN,
} AfterFlush;

static void flush_then (DensitoWindow *self,
                        AfterFlush     after,
                        const char    *path,
                        gboolean       save);

static void
open_path_now (DensitoWindow *self,
               const char    *path);

/* What was waiting for the unsaved edits: closing, or opening @path. */
static void
go_on (DensitoWindow *self,
       AfterFlush     after,
       const char    *path)
{
  if (after == AFTER_CLOSE)
    {
      self->close_confirmed = TRUE;
      gtk_window_close (GTK_WINDOW (self));
    }
  else
    open_path_now (self, path);
}

/* @after waits until the saves under way are written; then @save saves
 * what is still unsaved (once), and what cannot be saved is asked about. */
static void
wait_for_saves (DensitoWindow *self,
                AfterFlush     after,
                const char    *path,
                gboolean       save)
{
  self->after_saves = (int)after + 1;
  g_free (self->after_saves_path);
  self->after_saves_path = g_strdup (path);
  self->after_saves_save = save;
}

/* Every save is written: what waited goes on. */
static void
go_on_after_saves (DensitoWindow *self)
{
  g_autofree char *path = g_steal_pointer (&self->after_saves_path);
  int after = self->after_saves;

  self->after_saves = 0;
  if (after != 0)
    flush_then (self, (AfterFlush)(after - 1), path, self->after_saves_save);
}

static void
unsaved_response_cb (GtkDialog     *dialog,
                     int            response,
                     DensitoWindow *self)
{
  AfterFlush after = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (dialog), "after"));
  g_autofree char *path = g_strdup (g_object_get_data (G_OBJECT (dialog), "path"));

  gtk_window_destroy (GTK_WINDOW (dialog));
  if (response == GTK_RESPONSE_REJECT)
    {
      g_hash_table_remove_all (self->kept);
      if (self->edits != NULL)
        densito_edit_stack_mark_saved (self->edits);
    }
  else if (response != GTK_RESPONSE_ACCEPT)
    return;

  flush_then (self, after, path, response == GTK_RESPONSE_ACCEPT);
}

static void
ask_unsaved (DensitoWindow *self,
             AfterFlush     after,
             const char    *path)
{
  guint n = g_hash_table_size (self->kept) +
            (self->edits != NULL && densito_edit_stack_is_modified (self->edits) ? 1 : 0);
  GtkWidget *dialog;
  g_autofree char *title = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Save the changes to %u image?",
                                                         "Save the changes to %u images?", n), n);

  dialog = gtk_message_dialog_new (GTK_WINDOW (self), GTK_DIALOG_MODAL | GTK_DIALOG_DESTROY_WITH_PARENT,
                                   GTK_MESSAGE_QUESTION, GTK_BUTTONS_NONE, "%s", title);
  gtk_message_dialog_format_secondary_text (GTK_MESSAGE_DIALOG (dialog), "%s",
                                            self->save_error ? self->save_error
                                            : _("Their ROIs or reviews are not saved yet. If you discard, "
                                                "the edits are lost."));
  gtk_dialog_add_button (GTK_DIALOG (dialog), _("_Cancel"), GTK_RESPONSE_CANCEL);
  gtk_dialog_add_button (GTK_DIALOG (dialog), _("_Discard"), GTK_RESPONSE_REJECT);
  gtk_dialog_add_button (GTK_DIALOG (dialog), _("_Save"), GTK_RESPONSE_ACCEPT);
  gtk_widget_add_css_class (gtk_dialog_get_widget_for_response (GTK_DIALOG (dialog), GTK_RESPONSE_REJECT),
                            "destructive-action");
  gtk_widget_add_css_class (gtk_dialog_get_widget_for_response (GTK_DIALOG (dialog), GTK_RESPONSE_ACCEPT),
                            "suggested-action");
  gtk_dialog_set_default_response (GTK_DIALOG (dialog), GTK_RESPONSE_ACCEPT);
  g_object_set_data (G_OBJECT (dialog), "after", GUINT_TO_POINTER (after));
  g_object_set_data_full (G_OBJECT (dialog), "path", g_strdup (path), g_free);
  gtk_widget_set_name (dialog, "unsaved-dialog");
  g_signal_connect (dialog, "response", G_CALLBACK (unsaved_response_cb), self);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* Closing and opening another dataset come here: the saves under way are
 * written first; then, with @save (autosave, or the dialog's Save), the
 * unsaved edits are saved in the same workers and waited for; what is
 * still unsaved after that (a failed save, or autosave off) is asked
 * about. Nothing is dropped without that question. */
static void
flush_then (DensitoWindow *self,
            AfterFlush     after,
            const char    *path,
            gboolean       save)
{
  if (g_hash_table_size (self->saving) > 0)
    {
      wait_for_saves (self, after, path, save);
      return;
    }
  if (save && any_unsaved (self))
    {
      save_all (self);
      if (g_hash_table_size (self->saving) > 0)
        {
          wait_for_saves (self, after, path, FALSE);
          return;
        }
    }
  if (any_unsaved (self))
    {
      ask_unsaved (self, after, path);
      return;
    }
  go_on (self, after, path);
}

/* Editing actions */

static void
save_action (GtkWidget  *widget,
             const char *name,
             GVariant   *param)
{
  DensitoWindow *self = DENSITO_WINDOW (widget);

  if (self->banner_conflict)
    {
      /* A conflict is resolved with the banner's buttons. */
      gtk_revealer_set_reveal_child (self->save_banner_revealer, TRUE);
      return;
    }
  if (any_unsaved (self))
    save_all (self);
  else if (self->banner_image >= 0)
    hide_save_banner (self);
}

static void
undo_action (GtkWidget  *widget,
             const char *name,
             GVariant   *param)
{
  DensitoWindow *self = DENSITO_WINDOW (widget);

  if (self->edits == NULL)
    return;
  if (g_str_equal (name, "win.undo"))
    densito_edit_stack_undo (self->edits);
  else
    densito_edit_stack_redo (self->edits);
}

static void
review_action (GtkWidget  *widget,
               const char *name,
               GVariant   *param)
{
  DensitoWindow *self = DENSITO_WINDOW (widget);

  /* Pressed while a refilter switches patients: the scan on screen is about
   * to go, so it is not the one to review; the switch is done instead. */
  if (finish_show_after_frame (self))
    return;
  if (self->edits == NULL)
    return;
  if (g_str_equal (name, "win.review-exclude"))
    ask_exclude_reason (self);
  else if (g_str_equal (name, "win.review-correct"))
    set_review (self, DENSITO_REVIEW_CORRECTED, NULL);
  else
    {
      set_review (self, DENSITO_REVIEW_ACCEPTED, NULL);
      open_next_unreviewed (self);
    }
}

/* The toolbar's buttons run the scan view's own actions. */
static void
scan_action (GtkWidget  *widget,
             const char *name,
             GVariant   *param)
{
  DensitoWindow *self = DENSITO_WINDOW (widget);
  const char *scan = g_str_equal (name, "win.add-roi") ? "scan.add-menu"
                   : g_str_equal (name, "win.delete-roi") ? "scan.delete"
                   : g_str_equal (name, "win.duplicate-roi") ? "scan.duplicate" : "scan.relabel";

  gtk_widget_grab_focus (GTK_WIDGET (self->scan_view));
  gtk_widget_activate_action (GTK_WIDGET (self->scan_view), scan, NULL);
}

static void
copy_previous_action (GtkWidget  *widget,
                      const char *name,
                      GVariant   *param)
{
  if (!finish_show_after_frame (DENSITO_WINDOW (widget)))
    copy_previous_rois (DENSITO_WINDOW (widget));
}

static void
dismiss_save_banner_action (GtkWidget  *widget,
                            const char *name,
                            GVariant   *param)
{
  DensitoWindow *self = DENSITO_WINDOW (widget);

  /* A conflict or a failed save stays known: Ctrl+S shows it again. */
  gtk_revealer_set_reveal_child (self->save_banner_revealer, FALSE);
}

/* The list */

/* The columns of the patient list, in the order of the .ui file. Cells are
 * made by signal factories: a builder-template factory parses its XML for
 * every cell it creates, which made each refilter take 100 ms and more. */
typedef enum
{
  COLUMN_ID,
  COLUMN_SEX,
  COLUMN_AGE,
  COLUMN_SPINE,
  COLUMN_HIP,
  COLUMN_NECK,
  COLUMN_CLASS,
  COLUMN_LABEL,
  COLUMN_IMAGES,
  COLUMN_REVIEW,
  N_COLUMNS
} Column;

static const DensitoPatientText column_text[N_COLUMNS] = {
  DENSITO_PATIENT_TEXT_ID, DENSITO_PATIENT_TEXT_SEX, DENSITO_PATIENT_TEXT_AGE_GROUP,
  DENSITO_PATIENT_TEXT_SPINE_T, DENSITO_PATIENT_TEXT_HIP_T, DENSITO_PATIENT_TEXT_NECK_T,
  DENSITO_PATIENT_TEXT_WHO_CLASS, DENSITO_PATIENT_TEXT_LABEL, DENSITO_PATIENT_TEXT_IMAGES,
  DENSITO_PATIENT_TEXT_REVIEW,
};

static void
cell_setup_cb (GtkSignalListItemFactory *factory,
               GtkListItem              *item,
               gpointer                  data)
{
  Column column = GPOINTER_TO_UINT (data);
  gboolean numeric = column == COLUMN_SPINE || column == COLUMN_HIP || column == COLUMN_NECK ||
                     column == COLUMN_IMAGES;
  /* A DensitoCell, not a label: its size does not depend on its text, so a
   * refilter that gives the row other text only redraws it, where 200 rows
   * of labels would each be measured again; and, unlike an inscription, it
   * shares its layout and font metrics with the other cells. */
  GtkWidget *label = densito_cell_new (numeric ? 1.0f : 0.0f, numeric);

  if (column == COLUMN_LABEL)
    {
      GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 4);
      GtkWidget *icon = gtk_image_new_from_icon_name ("dialog-warning-symbolic");

      /* The tooltip is set in bind, on the few rows that show the icon:
       * setting one costs more than the rest of the cell. */
      gtk_widget_add_css_class (icon, "warning");
      gtk_widget_set_hexpand (label, TRUE);
      gtk_box_append (GTK_BOX (box), label);
      gtk_box_append (GTK_BOX (box), icon);
      gtk_list_item_set_child (item, box);
    }
  else
    gtk_list_item_set_child (item, label);
  g_object_set_data (G_OBJECT (item), "densito-column", GUINT_TO_POINTER (column));
}

/* Sets the cell's text (and colour, icon) from the patient its list item
 * shows now. This runs for every cell of the 200 rows GTK keeps after each
 * refilter: the patient's accessors, not properties looked up by name. */
static void
fill_cell (GtkListItem *item)
{
  Column column = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (item), "densito-column"));
  DensitoPatient *patient = gtk_list_item_get_item (item);
  GtkWidget *child = gtk_list_item_get_child (item);
  GtkWidget *label = column == COLUMN_LABEL ? gtk_widget_get_first_child (child) : child;
  char buf[DENSITO_PATIENT_TEXT_BUF];

  /* A row past the list's end, kept for a frame: empty. */
  if (densito_patient_get_vacant (patient))
    {
      densito_cell_set_text (DENSITO_CELL (label), "");
      densito_cell_set_style (DENSITO_CELL (label), NULL, FALSE);
      if (column == COLUMN_LABEL)
        gtk_widget_set_visible (gtk_widget_get_last_child (child), FALSE);
      return;
    }
  densito_cell_set_text (DENSITO_CELL (label), densito_patient_get_text (patient, column_text[column], buf));

  if (column == COLUMN_SPINE || column == COLUMN_HIP || column == COLUMN_NECK)
    {
      DensitoClass klass = densito_patient_get_site_class (patient, column - COLUMN_SPINE);

      /* style.css makes this class bold for labels; the cell is told. A
       * "?" (not a number in the table) is a warning. */
      if (klass == DENSITO_CLASS_MISSING && densito_patient_get_site_unreadable (patient, column - COLUMN_SPINE))
        densito_cell_set_style (DENSITO_CELL (label), "warning", FALSE);
      else
        densito_cell_set_style (DENSITO_CELL (label), densito_class_css_name (klass),
                                klass == DENSITO_CLASS_OSTEOPOROSIS);
    }
  else if (column == COLUMN_CLASS)
    {
      /* Dimmed; the card says why. (A tooltip per such cell, one row in
       * eight, cost 3-4 ms a refilter.) */
      densito_cell_set_style (DENSITO_CELL (label),
                              densito_patient_get_class_not_applicable (patient) ? "who-not-applicable" : NULL,
                              FALSE);
    }
  else if (column == COLUMN_LABEL)
    {
      GtkWidget *icon = gtk_widget_get_last_child (child);
      gboolean disagrees = densito_patient_get_label_disagrees (patient);

      gtk_widget_set_visible (icon, disagrees);
      if (disagrees && !gtk_widget_get_has_tooltip (icon))
        gtk_widget_set_tooltip_text (icon, _("The dataset’s label disagrees with the computed WHO class"));
    }
}

/* A refilter points the list's items at other patients (see
 * densito-patient-model.c): the cells follow without being rebuilt. */
static void
cell_changed_cb (DensitoPatient *patient,
                 GtkListItem    *item)
{
  fill_cell (item);
}

static void
cell_bind_cb (GtkSignalListItemFactory *factory,
              GtkListItem              *item,
              gpointer                  data)
{
  fill_cell (item);
  g_signal_connect_object (gtk_list_item_get_item (item), "changed", G_CALLBACK (cell_changed_cb), item, 0);
}

static void
cell_unbind_cb (GtkSignalListItemFactory *factory,
                GtkListItem              *item,
                gpointer                  data)
{
  g_signal_handlers_disconnect_by_func (gtk_list_item_get_item (item), cell_changed_cb, item);
}

/* A column title was clicked: the list sorts anew, the shown patient
 * stays selected where it now is. */
static void
view_sorter_changed_cb (GtkSorter       *view_sorter,
                        GtkSorterChange  change,
                        DensitoWindow   *self)
{
  DensitoSortTerm terms[DENSITO_N_SORT_KEYS];
  guint n_terms = densito_column_sorter_read_view (view_sorter, terms);

  if (self->model == NULL)
    return;
  densito_patient_model_set_sort (self->model, terms, n_terms);
  select_shown_patient (self, shown_row (self));
}

static void
set_up_columns (DensitoWindow *self)
{
  GListModel *columns = gtk_column_view_get_columns (self->column_view);

  g_assert (g_list_model_get_n_items (columns) == N_COLUMNS);
  g_signal_connect (gtk_column_view_get_sorter (self->column_view), "changed",
                    G_CALLBACK (view_sorter_changed_cb), self);
  for (guint i = 0; i < N_COLUMNS; i++)
    {
      g_autoptr(GtkColumnViewColumn) column = g_list_model_get_item (columns, i);
      g_autoptr(GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();

      g_signal_connect (factory, "setup", G_CALLBACK (cell_setup_cb), GUINT_TO_POINTER (i));
      g_signal_connect (factory, "bind", G_CALLBACK (cell_bind_cb), GUINT_TO_POINTER (i));
      g_signal_connect (factory, "unbind", G_CALLBACK (cell_unbind_cb), NULL);
      gtk_column_view_column_set_factory (column, factory);
      /* A title needs room for the sort arrow (16 px) beside its text and
       * padding, or GTK 4.8 drops the arrow (left to right) or cuts the start
       * of the text (right to left): a narrow column is widened to that, in
       * whatever language its title is. */
      if (gtk_column_view_column_get_fixed_width (column) > 0)
        {
          g_autoptr(PangoLayout) title = gtk_widget_create_pango_layout (GTK_WIDGET (self->column_view),
                                                                         gtk_column_view_column_get_title (column));
          PangoAttrList *attrs = pango_attr_list_new ();
          int width = 0;

          /* the sorted column's title is bold */
          pango_attr_list_insert (attrs, pango_attr_weight_new (PANGO_WEIGHT_BOLD));
          pango_layout_set_attributes (title, attrs);
          pango_attr_list_unref (attrs);
          pango_layout_get_pixel_size (title, &width, NULL);
          /* (the title's padding: 6 px each side, and a separator) */
          if (width + 16 + 14 > gtk_column_view_column_get_fixed_width (column))
            gtk_column_view_column_set_fixed_width (column, width + 16 + 14);
        }
      /* The class column fits its longest text in this language, a class
       * in parentheses (T-score categories do not apply). */
      if (i == COLUMN_CLASS)
        for (DensitoClass k = DENSITO_CLASS_NORMAL; k <= DENSITO_CLASS_OSTEOPOROSIS; k++)
          {
            g_autofree char *text = g_strdup_printf (_("(%s)"), densito_class_display_name (k));
            g_autoptr(PangoLayout) layout = gtk_widget_create_pango_layout (GTK_WIDGET (self->column_view), text);
            int width = 0;

            /* (a cell's padding: 6 px each side) */
            pango_layout_get_pixel_size (layout, &width, NULL);
            if (width + 13 > gtk_column_view_column_get_fixed_width (column))
              gtk_column_view_column_set_fixed_width (column, width + 13);
          }
    }
}

/* GtkColumnView (4.8) lays its columns out right to left in an RTL locale
 * but starts scrolled to the left end, where the last columns are: keep the
 * first columns (ID, sex, age) in view when the list's width changes. */
static void
rtl_hadjustment_changed_cb (GtkAdjustment *adj,
                            GtkWidget     *view)
{
  if (gtk_widget_get_direction (view) == GTK_TEXT_DIR_RTL)
    gtk_adjustment_set_value (adj, gtk_adjustment_get_upper (adj) - gtk_adjustment_get_page_size (adj));
}

/* GtkColumnView (4.8) makes every row a Tab stop, so Tab would walk all the
 * rows on screen before it reaches the scan; the arrows move in the list,
 * Tab and Shift+Tab leave it, as from any other single control. */
static gboolean
list_tab_cb (GtkEventControllerKey *controller,
             guint                  keyval,
             guint                  keycode,
             GdkModifierType        state,
             gpointer               user_data)
{
  GtkWidget *list = gtk_event_controller_get_widget (GTK_EVENT_CONTROLLER (controller));
  GtkWidget *scroller = gtk_widget_get_ancestor (list, GTK_TYPE_SCROLLED_WINDOW);
  gboolean moved;

  if ((keyval != GDK_KEY_Tab && keyval != GDK_KEY_ISO_Left_Tab && keyval != GDK_KEY_KP_Tab) ||
      (state & (GDK_CONTROL_MASK | GDK_ALT_MASK)) != 0 || scroller == NULL)
    return FALSE;
  /* Unfocusable for a moment, the list is skipped like a single stop. */
  gtk_widget_set_can_focus (scroller, FALSE);
  moved = gtk_widget_child_focus (GTK_WIDGET (gtk_widget_get_root (list)),
                                  (state & GDK_SHIFT_MASK) || keyval == GDK_KEY_ISO_Left_Tab
                                  ? GTK_DIR_TAB_BACKWARD : GTK_DIR_TAB_FORWARD);
  gtk_widget_set_can_focus (scroller, TRUE);
  return moved;
}

static guint
n_visible (DensitoWindow *self)
{
  return self->model ? g_list_model_get_n_items (G_LIST_MODEL (self->model)) : 0;
}

/* The previous (@delta -1) or next (+1) patient in the list. */
static void
step_patient (DensitoWindow *self,
              int            delta)
{
  guint n = n_visible (self);
  guint pos;

  finish_show_after_frame (self);
  pos = densito_list_selection_get_selected (self->selection);
  if (n == 0)
    return;
  if (pos == GTK_INVALID_LIST_POSITION)
    pos = delta > 0 ? 0 : n - 1;
  else if ((delta < 0 && pos == 0) || (delta > 0 && pos + 1 >= n))
    {
      gtk_widget_error_bell (GTK_WIDGET (self));
      return;
    }
  else
    pos = delta > 0 ? pos + 1 : pos - 1;
  go_to (self, pos, 0);
}

static void
step_patient_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *param)
{
  step_patient (DENSITO_WINDOW (widget), g_str_equal (action_name, "win.next-patient") ? 1 : -1);
}

/* Up and Down change the patient from the search entry (the caret stays
 * there, to type on) and from the scan when it has no ROI selected (with
 * one, they move it): focus need not go back to the list first. */
static gboolean
step_patient_key_cb (GtkEventControllerKey *controller,
                     guint                  keyval,
                     guint                  keycode,
                     GdkModifierType        state,
                     DensitoWindow         *self)
{
  GtkWidget *widget = gtk_event_controller_get_widget (GTK_EVENT_CONTROLLER (controller));
  GtkWidget *focus = gtk_root_get_focus (gtk_widget_get_root (widget));
  int delta;

  /* not from a popover's list or entry over the scan */
  if (focus == NULL || (focus != widget && !(GTK_IS_SEARCH_ENTRY (widget) && gtk_widget_is_ancestor (focus, widget))))
    return FALSE;
  /* a selected ROI takes the arrows (GTK 4.8 asks this controller before
   * the scan's own, which was added first) */
  if (DENSITO_IS_SCAN_VIEW (widget) && densito_scan_view_get_selected (DENSITO_SCAN_VIEW (widget)) >= 0)
    return FALSE;
  if (keyval == GDK_KEY_Up || keyval == GDK_KEY_KP_Up)
    delta = -1;
  else if (keyval == GDK_KEY_Down || keyval == GDK_KEY_KP_Down)
    delta = 1;
  else
    return FALSE;
  if ((state & gtk_accelerator_get_default_mod_mask ()) != 0)
    return FALSE;
  step_patient (self, delta);
  return TRUE;
}

/* The scan's own keys (zoom, ROIs on and off) from anywhere in the window
 * that does not take them itself, as a text field does. */
static gboolean
scan_view_key_cb (GtkWidget *widget,
                  GVariant  *args,
                  gpointer   user_data)
{
  DensitoWindow *self = DENSITO_WINDOW (widget);

  return gtk_widget_activate_action (GTK_WIDGET (self->scan_view), g_variant_get_string (args, NULL), NULL);
}

static void
update_count (DensitoWindow *self)
{
  g_autofree char *text = NULL;
  guint total = self->model ? densito_patient_model_get_total (self->model) : 0;
  guint shown = n_visible (self);

  if (shown == total)
    /* Translators: "3,643 patients" */
    text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%'u patient", "%'u patients", total), total);
  else
    /* Translators: "312 of 3,643 patients" */
    text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%'u of %'u patient", "%'u of %'u patients", total),
                            shown, total);
  gtk_label_set_text (self->count_label, text);
}

/* A refilter that leaves the shown patient out selects another one; the
 * list's frame comes first, that patient's details, thumbnails and scan
 * one frame later. Building them took 5-10 ms of the keystroke's frame,
 * which issue 4 wants within 50 ms (tests/bench README). The patient is
 * shown at once when anything else selects one meanwhile. */
static void
cancel_show_after_frame (DensitoWindow *self)
{
  frame_wait_stop (&self->show_wait);
  self->show_pending = -1;
}

static void
show_frame_cb (gpointer data,
               gboolean painted)
{
  DensitoWindow *self = data;
  int row = self->show_pending;

  self->show_pending = -1;
  if (row >= 0 && row != self->current_row)
    {
      show_patient (self, (guint)row);
      write_state (self);
    }
}

static void
show_after_frame (DensitoWindow *self,
                  guint          row)
{
  self->show_pending = (int)row;
  if (frame_wait_active (&self->show_wait))
    return;
  if (!gtk_widget_get_mapped (GTK_WIDGET (self)) ||
      !frame_wait_start (&self->show_wait, GTK_WIDGET (self), 500, show_frame_cb, self))
    show_frame_cb (self, FALSE);
}

/* The patient shown, or about to be (see show_after_frame); -1 for none. */
static int
shown_row (DensitoWindow *self)
{
  return self->show_pending >= 0 ? self->show_pending : self->current_row;
}

/* Shows at once the patient a refilter selected, before anything acts on
 * "the patient shown" (the selection already says the new one, the scan
 * and the edits are still the old one's). Returns whether there was one. */
static gboolean
finish_show_after_frame (DensitoWindow *self)
{
  if (self->show_pending < 0)
    return FALSE;
  frame_wait_stop (&self->show_wait);
  show_frame_cb (self, FALSE);
  return TRUE;
}

static void
select_patient (DensitoWindow *self,
                gboolean       after_frame)
{
  g_autoptr(DensitoPatient) patient = densito_list_selection_dup_selected_item (self->selection);
  int row;

  if (!after_frame)
    cancel_show_after_frame (self);
  if (patient == NULL)
    {
      /* An empty list: the patient shown stays, no other comes. */
      cancel_show_after_frame (self);
      write_state (self);
      return;
    }
  row = (int)densito_patient_get_row (patient);
  if (row != shown_row (self))
    {
      self->resume_pending = FALSE;
      if (after_frame)
        show_after_frame (self, (guint)row);
      else
        show_patient (self, (guint)row);
    }
  write_state (self);
}

static void
selection_changed_cb (DensitoListSelection *selection,
                      GParamSpec           *pspec,
                      DensitoWindow        *self)
{
  select_patient (self, FALSE);
}

/* Query tokens the quick filters own. */
static gboolean
token_is (const char *token,
          const char *prefix)
{
  return g_ascii_strncasecmp (token, prefix, strlen (prefix)) == 0;
}

static void
replace_text (GtkEditable *editable,
              const char  *text)
{
  int pos = 0;
  int len = (int)strlen (text);

  if (g_strcmp0 (gtk_editable_get_text (editable), text) == 0)
    return;
  if (len == 0)
    {
      gtk_editable_delete_text (editable, 0, -1);
      return;
    }
  gtk_editable_insert_text (editable, text, len, &pos);
  gtk_editable_delete_text (editable, g_utf8_strlen (text, -1), -1);
}

static void
set_term (DensitoWindow *self,
          const char    *prefix,
          const char    *term)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));
  g_auto(GStrv) tokens = g_strsplit_set (text, " \t", -1);
  g_autoptr(GString) out = g_string_new (NULL);

  for (guint i = 0; tokens[i]; i++)
    {
      if (*tokens[i] == '\0' || token_is (tokens[i], prefix))
        continue;
      g_string_append_printf (out, "%s%s", out->len ? " " : "", tokens[i]);
    }
  if (term != NULL)
    g_string_append_printf (out, "%s%s", out->len ? " " : "", term);

  /* Insert the new text, then delete the old after it: the entry never
   * passes through "", which a search entry reports at once and which
   * would show every patient for a moment. */
  self->updating_filters = TRUE;
  replace_text (GTK_EDITABLE (self->search_entry), out->str);
  self->updating_filters = FALSE;
}

static void
sync_filters_from_text (DensitoWindow *self,
                        const char    *text)
{
  g_auto(GStrv) tokens = g_strsplit_set (text, " \t", -1);
  guint sex = 0, klass = 0;
  gboolean disagree = FALSE, applicable = FALSE, with_images = FALSE;

  for (guint i = 0; tokens[i]; i++)
    {
      const char *t = tokens[i];
      if (g_ascii_strcasecmp (t, "sex=F") == 0) sex = 1;
      else if (g_ascii_strcasecmp (t, "sex=M") == 0) sex = 2;
      else if (g_ascii_strcasecmp (t, "class=normal") == 0) klass = 1;
      else if (g_ascii_strcasecmp (t, "class=osteopenia") == 0) klass = 2;
      else if (g_ascii_strcasecmp (t, "class=osteoporosis") == 0) klass = 3;
      else if (g_ascii_strcasecmp (t, "agrees=no") == 0) disagree = TRUE;
      else if (g_ascii_strcasecmp (t, "applicable=no") == 0) applicable = TRUE;
      else if (g_ascii_strcasecmp (t, "images>=1") == 0) with_images = TRUE;
    }

  self->updating_filters = TRUE;
  gtk_drop_down_set_selected (self->sex_dropdown, sex);
  gtk_drop_down_set_selected (self->class_dropdown, klass);
  gtk_toggle_button_set_active (self->disagree_toggle, disagree);
  gtk_toggle_button_set_active (self->applicable_toggle, applicable);
  gtk_toggle_button_set_active (self->images_toggle, with_images);
  self->updating_filters = FALSE;
}

/* The whole list, from the first frame after a dataset opens on (see
 * limit_list), or at once when something needs a row further down. */
static void
stop_growing (DensitoWindow *self)
{
  g_clear_handle_id (&self->empty_search_source, g_source_remove);
  frame_wait_stop (&self->slice_wait);
}

static void
unlimit_list (DensitoWindow *self)
{
  stop_growing (self);
  if (self->selection != NULL)
    densito_list_selection_set_limit (self->selection, G_MAXUINT);
}

static void wait_for_frame (DensitoWindow *self);

/* GTK keeps row widgets for 200 items: once the list has that many, the
 * rest costs nothing. */
#define LIST_GROW_STEP 40
#define LIST_GROW_END (200 + LIST_GROW_STEP)

/* A few more rows a frame, so that the window answers keys and the
 * pointer meanwhile (the rest at once took 150-180 ms): called right after
 * each frame is on screen. */
static void
grow_list_cb (gpointer data,
              gboolean painted)
{
  DensitoWindow *self = data;
  guint size = densito_list_selection_get_limit (self->selection);

  /* No frame came (a hidden window on Wayland): all of it at once. */
  if (!painted || size >= LIST_GROW_END || size >= n_visible (self))
    {
      unlimit_list (self);
      return;
    }
  densito_list_selection_set_limit (self->selection, size + LIST_GROW_STEP);
  wait_for_frame (self);
}

/* Grows the list after the next frame is drawn; the timeout is long
 * enough for a slow frame (a sanitizer build on a loaded machine). */
static void
wait_for_frame (DensitoWindow *self)
{
  if (!frame_wait_start_then_idle (&self->slice_wait, GTK_WIDGET (self), 3000, grow_list_cb, self))
    unlimit_list (self);
}

/* GTK 4.8's list view makes 200 rows of cells whatever its height, which
 * took about 130 ms, and as long again to lay out and draw, before the
 * first frame of an opened dataset. That frame gets only the rows the
 * window can show (so every row in view is there); the rest of the list
 * follows, a few rows a frame, once it is drawn. */
static guint
list_limit (DensitoWindow *self)
{
  GListModel *monitors = gdk_display_get_monitors (gtk_widget_get_display (GTK_WIDGET (self)));
  int width = 0, tallest = 0;

  /* The height the window asks for (its surface may not have it yet), or
   * the tallest screen's when it fills one. */
  if (!gtk_window_is_maximized (GTK_WINDOW (self)) && !gtk_window_is_fullscreen (GTK_WINDOW (self)))
    {
      gtk_window_get_default_size (GTK_WINDOW (self), &width, &tallest);
      /* A tiled window's height is not its default one. */
      tallest = MAX (tallest, gtk_widget_get_height (GTK_WIDGET (self)));
    }   /* 4.8: neither may be NULL */
  if (tallest <= 0)
    for (guint i = 0; i < g_list_model_get_n_items (monitors); i++)
      {
        g_autoptr(GdkMonitor) monitor = g_list_model_get_item (monitors, i);
        GdkRectangle geometry;

        gdk_monitor_get_geometry (monitor, &geometry);
        tallest = MAX (tallest, geometry.height);
      }
  /* No row is 20 px or less: a caption-sized font and no padding. */
  return tallest > 0 ? (guint)tallest / 20 + 2 : G_MAXUINT;
}

static void
limit_list (DensitoWindow *self)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (GTK_WIDGET (self));

  unlimit_list (self);
  if (!gtk_widget_get_mapped (GTK_WIDGET (self)) || clock == NULL)
    return;
  densito_list_selection_set_limit (self->selection, list_limit (self));
  wait_for_frame (self);
}

/* After a refilter or a sort: the patient shown before (@shown, a table
 * row or -1) stays selected if the list still has it, wherever it is now
 * (the selection may lie past the rows the list has grown to so far);
 * otherwise the patient now at the selected position is shown. */
static void
select_shown_patient (DensitoWindow *self,
                      int            shown)
{
  guint pos = shown >= 0 ? densito_patient_model_find_row (self->model, (guint)shown) : GTK_INVALID_LIST_POSITION;

  if (pos != GTK_INVALID_LIST_POSITION)
    densito_list_selection_set_selected (self->selection, pos);
  select_patient (self, TRUE);
}

/* Before a refilter: a list that has fewer rows than GTK keeps widgets for
 * (200) grows to the new count in steps, as after opening (limit_list).
 * Widening a search back from a few patients to thousands made GTK build
 * 200 rows of cells before the next frame (80-100 ms), where the frame
 * needs only the rows in view. */
static void
limit_refilter (DensitoWindow *self)
{
  guint shown = g_list_model_get_n_items (G_LIST_MODEL (self->selection));

  if (shown >= LIST_GROW_END || !gtk_widget_get_mapped (GTK_WIDGET (self)) ||
      gtk_widget_get_frame_clock (GTK_WIDGET (self)) == NULL)
    return;
  stop_growing (self);
  densito_list_selection_set_limit (self->selection, MAX (shown, list_limit (self)));
}

/* A search that narrows the list leaves the rows GTK had past its new
 * end as vacant rows (see densito-list-selection.c) for the frame that
 * shows the new list; after that frame they go, a few a frame, the last
 * first. GTK 4.8 destroys such rows at 0.2 ms each: its 200 at once made
 * the new list's frame 40-50 ms late, and would make a key pressed just
 * after it wait as long. */
static void drop_vacant_after_frame (DensitoWindow *self);

static void
drop_vacant_cb (gpointer data,
                gboolean painted)
{
  DensitoWindow *self = data;

  if (self->selection == NULL)
    return;
  /* No frame came (a hidden window): all of them at once. */
  if (densito_list_selection_drop_vacant (self->selection, painted ? LIST_GROW_STEP : G_MAXUINT) > 0)
    drop_vacant_after_frame (self);
}

static void
drop_vacant_after_frame (DensitoWindow *self)
{
  if (densito_list_selection_get_n_vacant (self->selection) == 0 || frame_wait_active (&self->vacant_wait))
    return;
  if (!frame_wait_start_then_idle (&self->vacant_wait, GTK_WIDGET (self), 3000, drop_vacant_cb, self))
    densito_list_selection_drop_vacant (self->selection, G_MAXUINT);
}

/* A search widened (a term deleted, the search cleared): the patient shown
 * stays selected, and once the list has grown to it (see limit_refilter)
 * its row is scrolled into view, in an idle after a frame, so that the
 * frame that shows the new list does not wait for GTK to build the rows
 * there. */
static void reveal_shown_after_frame (DensitoWindow *self);

static void
reveal_shown_cb (gpointer data,
                 gboolean painted)
{
  DensitoWindow *self = data;
  GtkWidget *list = inner_list_view (self);
  guint pos;

  /* (no frame: the window is not shown, nothing to scroll) */
  if (!painted || self->selection == NULL || list == NULL)
    return;
  if (densito_list_selection_get_limit (self->selection) != G_MAXUINT)
    {
      reveal_shown_after_frame (self);
      return;
    }
  pos = densito_list_selection_get_selected (self->selection);
  if (pos != GTK_INVALID_LIST_POSITION)
    gtk_widget_activate_action (list, "list.scroll-to-item", "u", pos);
}

static void
reveal_shown_after_frame (DensitoWindow *self)
{
  frame_wait_start_then_idle (&self->reveal_wait, GTK_WIDGET (self), 3000, reveal_shown_cb, self);
}

/* A new list starts at its top. Where the list was scrolled down, a
 * refilter that took the rows in view away made GTK 4.8 destroy its 200
 * rows there and build 200 anew where it guessed the view would be (about
 * 150 ms at 3,643 patients); scrolled to the top first, it moves the same
 * row widgets to the top (tests/bench README, BENCH_SCROLL).
 *
 * Through the list's own scroll-to-item, not the scroll position: after a
 * scroll-to-item (stepping to a patient, a widened search) GTK 4.8 moves
 * the position only at the next layout, so a refilter before it read the
 * top, left the list where it was going, and rows of patients no longer
 * in the list stayed on screen. At the top already, this costs nothing. */
static void
list_to_top (gpointer model,
             gpointer data)
{
  DensitoWindow *self = data;
  GtkWidget *list = inner_list_view (self);

  if (list != NULL && g_list_model_get_n_items (G_LIST_MODEL (self->selection)) > 0)
    gtk_widget_activate_action (list, "list.scroll-to-item", "u", 0);
}

static void
apply_query (DensitoWindow *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));
  g_autoptr(GError) error = NULL;
  g_autoptr(DensitoQuery) query = NULL;
  int shown = shown_row (self);
  guint old_n;

  if (self->model == NULL)
    return;

  query = densito_query_parse (text, &error);
  g_clear_pointer (&self->last_error, g_free);
  if (query == NULL)
    {
      /* Keep the last good list; say what is wrong where the user looks. */
      self->last_error = g_strdup (error->message);
      gtk_label_set_text (self->query_error_label, error->message);
      gtk_widget_remove_css_class (GTK_WIDGET (self->query_error_label), "dim-label");
      gtk_widget_add_css_class (GTK_WIDGET (self->query_error_label), "error");
      gtk_widget_set_visible (GTK_WIDGET (self->query_error_label), TRUE);
      gtk_widget_add_css_class (GTK_WIDGET (self->search_entry), "error");
      write_state (self);
      return;
    }
  gtk_widget_remove_css_class (GTK_WIDGET (self->search_entry), "error");

  /* "s", "sp", "spi" on the way to "spine_t<=-2.5": the list stays as it
   * was, with the names the word begins, instead of emptying (no ID has
   * that word) and coming back at the next keystroke. */
  {
    g_autofree char *names = densito_query_pending_field (text, densito_dataset_get_table (self->dataset));

    if (names != NULL)
      {
        /* Translators: %s is a list of the query's field names, such as "sex, spine_t, spine_bmd" */
        g_autofree char *hint = g_strdup_printf (_("Go on typing a term: %s"), names);

        gtk_label_set_text (self->query_error_label, hint);
        gtk_widget_remove_css_class (GTK_WIDGET (self->query_error_label), "error");
        gtk_widget_add_css_class (GTK_WIDGET (self->query_error_label), "dim-label");
        gtk_widget_set_visible (GTK_WIDGET (self->query_error_label), TRUE);
        write_state (self);
        return;
      }
  }
  gtk_widget_set_visible (GTK_WIDGET (self->query_error_label), FALSE);

  /* The selection keeps its position while the items there show other
   * patients: it follows the shown patient by hand, below. */
  g_signal_handlers_block_by_func (self->selection, selection_changed_cb, self);
  frame_wait_stop (&self->reveal_wait);
  /* (vacant rows go after the frame this refilter's list is drawn in, not
   * before it) */
  frame_wait_stop (&self->vacant_wait);
  old_n = n_visible (self);
  limit_refilter (self);
  if (gtk_widget_get_mapped (GTK_WIDGET (self)))
    densito_list_selection_set_hold (self->selection, LIST_GROW_END);
  densito_patient_model_set_query_full (self->model, densito_query_get_n_terms (query) ? query : NULL,
                                        list_to_top, self);
  densito_list_selection_set_hold (self->selection, 0);
  drop_vacant_after_frame (self);
  if (densito_list_selection_get_limit (self->selection) >= n_visible (self))
    unlimit_list (self);
  else if (!frame_wait_active (&self->slice_wait))
    wait_for_frame (self);
  g_signal_handlers_unblock_by_func (self->selection, selection_changed_cb, self);
  g_free (self->last_query);
  self->last_query = g_strdup (text);
  update_count (self);
  select_shown_patient (self, shown);
  if (n_visible (self) > old_n && gtk_widget_get_mapped (GTK_WIDGET (self)))
    reveal_shown_after_frame (self);
  write_state (self);
}

static void
search_now (DensitoWindow *self)
{
  if (!self->updating_filters)
    sync_filters_from_text (self, gtk_editable_get_text (GTK_EDITABLE (self->search_entry)));
  apply_query (self);
}

static gboolean
empty_search_cb (gpointer data)
{
  DensitoWindow *self = data;

  self->empty_search_source = 0;
  /* Text came in meanwhile: its own search-changed applies it. */
  if (*gtk_editable_get_text (GTK_EDITABLE (self->search_entry)) == '\0')
    search_now (self);
  return G_SOURCE_REMOVE;
}

/* Typing over a selection, or pasting over the whole text, deletes it
 * first: GtkSearchEntry reports that empty text at once, then the new
 * text in a moment. Applied at once, the empty text refiltered the list
 * to every patient and back within one keystroke (two refilters, the first
 * to the full list); so the empty text waits for that moment, before the
 * next frame, and is applied only if it is still empty. */
static void
search_changed_cb (GtkSearchEntry *entry,
                   DensitoWindow  *self)
{
  g_clear_handle_id (&self->empty_search_source, g_source_remove);
  if (*gtk_editable_get_text (GTK_EDITABLE (entry)) == '\0')
    {
      self->empty_search_source = g_idle_add_full (G_PRIORITY_DEFAULT, empty_search_cb, self, NULL);
      return;
    }
  search_now (self);
}

static void
sex_changed_cb (GtkDropDown   *dropdown,
                GParamSpec    *pspec,
                DensitoWindow *self)
{
  static const char *terms[] = { NULL, "sex=F", "sex=M" };

  if (!self->updating_filters)
    set_term (self, "sex=", terms[MIN (gtk_drop_down_get_selected (dropdown), 2)]);
}

static void
class_changed_cb (GtkDropDown   *dropdown,
                  GParamSpec    *pspec,
                  DensitoWindow *self)
{
  static const char *terms[] = { NULL, "class=normal", "class=osteopenia", "class=osteoporosis" };

  if (!self->updating_filters)
    set_term (self, "class=", terms[MIN (gtk_drop_down_get_selected (dropdown), 3)]);
}

static void
toggle_filter_cb (GtkToggleButton *button,
                  DensitoWindow   *self)
{
  const char *term = button == self->disagree_toggle ? "agrees=no"
                   : button == self->applicable_toggle ? "applicable=no" : "images>=1";
  const char *prefix = button == self->disagree_toggle ? "agrees="
                     : button == self->applicable_toggle ? "applicable=" : "images";

  if (!self->updating_filters)
    set_term (self, prefix, gtk_toggle_button_get_active (button) ? term : NULL);
}

/* Loading */

static gboolean
is_sample (const char *path)
{
  g_autofree char *sample = densito_application_dup_sample_path ();
  g_autoptr(GFile) a = g_file_new_for_path (sample);
  g_autoptr(GFile) b = g_file_new_for_path (path);

  return g_file_equal (a, b);
}

/* A menu's popover is made the first time it opens: making both when the
 * window was built was a sixth of building it (perf, one start). */
static void
create_menu_popup_cb (GtkMenuButton *button,
                      gpointer       menu)
{
  if (gtk_menu_button_get_menu_model (button) == NULL)
    gtk_menu_button_set_menu_model (button, menu);
}

static void
set_up_menu_button (GtkMenuButton *button,
                    GMenuModel    *menu)
{
  gtk_menu_button_set_create_popup_func (button, create_menu_popup_cb, g_object_ref (menu), g_object_unref);
}

static void
update_recent_menu (DensitoWindow *self)
{
  g_auto(GStrv) recent = g_settings_get_strv (self->settings, "recent-datasets");

  g_menu_remove_all (self->recent_section);
  if (recent[0] == NULL)
    {
      /* an action no one has: shown, and insensitive */
      g_autoptr(GMenuItem) item = g_menu_item_new (_("No Recent Datasets"), "win.no-recent-datasets");
      g_menu_append_item (self->recent_section, item);
    }
  for (guint i = 0; recent[i]; i++)
    {
      g_autofree char *label = g_filename_display_name (recent[i]);
      g_autoptr(GMenuItem) item = g_menu_item_new (label, NULL);
      g_menu_item_set_action_and_target_value (item, "win.open-recent", g_variant_new_string (recent[i]));
      g_menu_append_item (self->recent_section, item);
    }
}

static void
remember_dataset (DensitoWindow *self,
                  const char    *path)
{
  g_auto(GStrv) recent = g_settings_get_strv (self->settings, "recent-datasets");
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) updated = NULL;
  guint n = 1;

  g_strv_builder_add (builder, path);
  for (guint i = 0; recent[i] && n < 8; i++)
    if (g_strcmp0 (recent[i], path) != 0)
      {
        g_strv_builder_add (builder, recent[i]);
        n++;
      }
  updated = g_strv_builder_end (builder);
  g_settings_set_strv (self->settings, "recent-datasets", (const char * const *)updated);
  g_settings_set_string (self->settings, "last-dataset", path);
  update_recent_menu (self);
}

static void
update_banner (DensitoWindow *self,
               gboolean       sample)
{
  guint n = densito_diagnostics_get_n (densito_dataset_get_diagnostics (self->dataset));
  g_autoptr(GString) text = g_string_new (NULL);

  if (sample)
    g_string_append (text, _("This is the bundled synthetic sample: no real patients, no real scans."));
  if (n > 0)
    {
      if (text->len)
        g_string_append (text, " ");
      g_string_append_printf (text, g_dngettext (GETTEXT_PACKAGE, "%'u problem found in the dataset.",
                                                 "%'u problems found in the dataset.", n), n);
    }
  gtk_label_set_text (self->banner_label, text->str);
  gtk_widget_set_visible (GTK_WIDGET (self->banner_button), n > 0);
  gtk_widget_set_visible (GTK_WIDGET (self->banner_close), FALSE);
  if (n > 0)
    gtk_widget_add_css_class (gtk_widget_get_parent (GTK_WIDGET (self->banner_label)), "warning");
  else
    gtk_widget_remove_css_class (gtk_widget_get_parent (GTK_WIDGET (self->banner_label)), "warning");
  gtk_revealer_set_reveal_child (self->banner_revealer, text->len > 0);
}

static gint64
bench_elapsed_ms (void)
{
  const char *t0 = g_getenv ("DENSITO_BENCH_T0");

  /* DENSITO_BENCH_T0 (realtime ns, set by the benchmark right before
   * exec) measures from outside the process; without it, from main(). */
  if (t0 != NULL)
    return g_get_real_time () / 1000 - g_ascii_strtoll (t0, NULL, 10) / 1000000;
  return (g_get_monotonic_time () - densito_application_get_start_time ()) / 1000;
}

/* DENSITO_BENCH=startup: the first frame with the list filled, and the
 * first one with all of the list (see limit_list). */
static void
after_paint_cb (GdkFrameClock *clock,
                DensitoWindow *self)
{
  gboolean whole = self->selection == NULL || densito_list_selection_get_limit (self->selection) == G_MAXUINT;
  gint64 now = bench_elapsed_ms ();

  if (!self->bench_first_painted)
    {
      self->bench_first_painted = TRUE;
      g_print ("startup_ms=%" G_GINT64_FORMAT "\n", now);
    }
  else
    self->bench_longest_frame = MAX (self->bench_longest_frame, now - self->bench_last_paint);
  self->bench_last_paint = now;
  if (!whole)
    return;
  g_signal_handlers_disconnect_by_func (clock, after_paint_cb, self);
  /* How long the window could not answer while the list grew. */
  g_print ("startup_whole_list_ms=%" G_GINT64_FORMAT " longest_frame_after_first_ms=%" G_GINT64_FORMAT "\n",
           now, self->bench_longest_frame);
  g_application_quit (G_APPLICATION (gtk_window_get_application (GTK_WINDOW (self))));
}

static void
annotations_read_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(DensitoWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  DensitoDataset *dataset = DENSITO_DATASET (source);

  if (!densito_dataset_read_annotations_finish (dataset, result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_warning ("Cannot read the annotations: %s", error->message);
      return;
    }
  if (dataset != self->dataset)
    return;

  /* Review states and broken sidecars are known now; the shown and kept
   * images' edits are newer than the files. */
  update_banner (self, is_sample (densito_dataset_get_path (dataset)));
  {
    GHashTableIter iter;
    gpointer value;

    if (self->edits != NULL)
      sync_facts (self, self->edits);
    g_hash_table_iter_init (&iter, self->kept);
    while (g_hash_table_iter_next (&iter, NULL, &value))
      sync_facts (self, value);
  }
  update_progress (self);
  /* Sorted by review, the order is known only now. */
  if (self->model != NULL && densito_patient_model_resort (self->model))
    select_shown_patient (self, shown_row (self));
  if (self->resume_pending)
    resume_review (self);
  if (self->model != NULL)
    densito_patient_model_refresh (self->model);
  write_state (self);
}

/* Reads the dataset's sidecars for their review states, in a worker. */
static void
read_annotations (DensitoWindow *self)
{
  if (self->annotations_cancellable != NULL)
    g_cancellable_cancel (self->annotations_cancellable);
  g_clear_object (&self->annotations_cancellable);
  self->held_annotations = FALSE;
  if (self->dataset == NULL || densito_dataset_get_annotations_read (self->dataset))
    return;
  if (holding_work (self))
    {
      self->held_annotations = TRUE;
      return;
    }
  self->annotations_cancellable = g_cancellable_new ();
  densito_dataset_read_annotations_async (self->dataset, self->annotations_cancellable,
                                          annotations_read_cb, g_object_ref (self));
}

/* Background work held for a dataset's first frame (see hold_work). */

static gboolean
holding_work (DensitoWindow *self)
{
  return frame_wait_active (&self->hold_wait);
}

static void
drop_held_load (DensitoWindow *self)
{
  g_clear_pointer (&self->held_load, image_load_free);
}

/* Starts what was held, in the order it was asked for: the shown scan,
 * its neighbours, the sidecars. */
static void
release_work (DensitoWindow *self)
{
  ImageLoad *load = g_steal_pointer (&self->held_load);

  frame_wait_stop (&self->hold_wait);
  if (load != NULL)
    run_image_load (self, load, self->image_cancellable, image_loaded_cb, show_image);
  if (self->held_prefetch)
    prefetch_neighbours (self);
  if (self->held_annotations)
    read_annotations (self);
}

static void
hold_frame_cb (gpointer data,
               gboolean painted)
{
  release_work (data);
}

/* The first frame of a dataset opened in a shown window is drawn before
 * the scan decodes and the sidecars are read: on two cores those threads
 * took the CPU, and the memory, that frame needed, and the decoded scan,
 * if it came in time, was converted and drawn in it too (tests/bench
 * README, startup). They start right after that frame. */
static void
hold_work (DensitoWindow *self)
{
  GdkSurface *surface = gtk_native_get_surface (GTK_NATIVE (self));

  frame_wait_stop (&self->hold_wait);
  drop_held_load (self);
  self->held_prefetch = FALSE;
  self->held_annotations = FALSE;
  /* A window that draws no frames now (minimised, or not shown) does not
   * wait for one. */
  if (!gtk_widget_get_mapped (GTK_WIDGET (self)) || surface == NULL || !gdk_surface_get_mapped (surface) ||
      (GDK_IS_TOPLEVEL (surface) && (gdk_toplevel_get_state (GDK_TOPLEVEL (surface)) & GDK_TOPLEVEL_STATE_MINIMIZED)))
    return;
  /* In case no frame comes all the same (a window covered on Wayland):
   * longer than a first frame takes, even under a sanitizer. */
  if (frame_wait_start (&self->hold_wait, GTK_WIDGET (self), 500, hold_frame_cb, self))
    gdk_frame_clock_request_phase (self->hold_wait.clock, GDK_FRAME_CLOCK_PHASE_PAINT);
}

static void
set_dataset (DensitoWindow  *self,
             DensitoDataset *dataset)
{
  DensitoSortTerm terms[DENSITO_N_SORT_KEYS];
  guint n_terms = densito_column_sorter_read_view (gtk_column_view_get_sorter (self->column_view), terms);
  g_autofree char *display = g_filename_display_name (densito_dataset_get_path (dataset));
  gboolean sample = is_sample (densito_dataset_get_path (dataset));

  /* The old dataset's edits were saved or discarded (flush_then). */
  leave_image (self);
  g_hash_table_remove_all (self->kept);
  hide_save_banner (self);
  /* Nothing of the old dataset stays on screen or arrives late (the new
   * one may match no patient, and then shows none). */
  g_cancellable_cancel (self->image_cancellable);
  g_clear_object (&self->image_cancellable);
  if (self->prefetch_cancellable != NULL)
    g_cancellable_cancel (self->prefetch_cancellable);
  g_clear_object (&self->prefetch_cancellable);
  g_clear_pointer (&self->image_name, g_free);
  densito_scan_view_set_rois (self->scan_view, NULL);
  densito_scan_view_set_texture (self->scan_view, NULL);
  clear_box (self->details_box);
  clear_box (self->thumbnail_box);
  update_edit_state (self);
  g_set_object (&self->dataset, dataset);
  hold_work (self);
  g_clear_object (&self->model);
  self->current_row = -1;
  cancel_show_after_frame (self);
  self->model = densito_patient_model_new (dataset);
  /* The model sorts (see densito-patient-model.c), in the order the
   * column titles show. */
  densito_patient_model_set_sort (self->model, terms, n_terms);
  if (self->selection != NULL)
    g_signal_handlers_disconnect_by_func (self->selection, selection_changed_cb, self);
  g_clear_object (&self->selection);
  stop_growing (self);
  frame_wait_stop (&self->reveal_wait);
  self->selection = densito_list_selection_new (G_LIST_MODEL (self->model));
  limit_list (self);
  g_signal_connect (self->selection, "notify::selected", G_CALLBACK (selection_changed_cb), self);
  /* At the top before the new rows come: GTK 4.8 keeps the old scroll
   * position until the next allocation, where the new list has no height
   * yet to scroll in (list_to_top in the refilter would make it warn). */
  list_to_top (NULL, self);
  gtk_column_view_set_model (self->column_view, GTK_SELECTION_MODEL (self->selection));

  gtk_label_set_text (self->subtitle_label, display);
  gtk_widget_set_visible (GTK_WIDGET (self->subtitle_label), TRUE);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->subtitle_label), display);
  update_banner (self, sample);
  gtk_stack_set_visible_child_name (self->stack, "main");

  g_free (self->dataset_path);
  self->dataset_path = g_strdup (densito_dataset_get_path (dataset));
  if (!sample)
    remember_dataset (self, self->dataset_path);
  else
    g_settings_set_string (self->settings, "last-dataset", "");

  /* Filter on every keystroke while that is cheap; on a very large table
   * wait for a short pause in typing. The pause counts in the keystroke's
   * latency: at 1,000,000 patients 40 ms gave a worst keystroke of 112-116
   * ms to the frame, 80 ms gave 155-159 (tests/bench README). */
  gtk_search_entry_set_search_delay (self->search_entry,
                                     densito_patient_model_get_total (self->model) < 200000 ? 0 : 40);
  apply_query (self);
  if (n_visible (self) > 0)
    selection_changed_cb (self->selection, NULL, self);
  update_progress (self);
  self->resume_pending = TRUE;
  if (densito_dataset_get_annotations_read (dataset))
    resume_review (self);

  read_annotations (self);

  if (self->bench_startup)
    {
      GdkFrameClock *clock = gtk_widget_get_frame_clock (GTK_WIDGET (self));
      if (clock != NULL)
        g_signal_connect (clock, "after-paint", G_CALLBACK (after_paint_cb), self);
    }
}

static void
open_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(DensitoWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(DensitoDataset) dataset = densito_dataset_open_finish (result, &error);

  /* A load another one replaced, or one of a window gone: nothing to do. */
  if (self->open_cancellable == NULL || self->open_cancellable != g_task_get_cancellable (G_TASK (result)) ||
      self->stack == NULL)
    return;
  if (dataset == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_clear_object (&self->open_cancellable);
          /* back to the dataset shown before, with its banner */
          if (self->dataset != NULL)
            update_banner (self, is_sample (densito_dataset_get_path (self->dataset)));
          gtk_stack_set_visible_child_name (self->stack, self->dataset ? "main" : "empty");
          write_state (self);
          return;
        }
      g_clear_object (&self->open_cancellable);
      /* The dataset still shown stays reachable: its name, its problems
       * button, and its own banner back when this one is dismissed. */
      if (self->dataset != NULL)
        {
          g_autofree char *base = g_filename_display_basename (densito_dataset_get_path (self->dataset));
          /* Translators: the reason the dataset could not be opened, then the name of the one still shown */
          g_autofree char *text = g_strdup_printf (_("%s\nStill showing %s."), error->message, base);

          gtk_label_set_text (self->banner_label, text);
          gtk_widget_set_visible (GTK_WIDGET (self->banner_button),
                                  densito_diagnostics_get_n (densito_dataset_get_diagnostics (self->dataset)) > 0);
        }
      else
        {
          gtk_label_set_text (self->banner_label, error->message);
          gtk_widget_set_visible (GTK_WIDGET (self->banner_button), FALSE);
        }
      gtk_widget_set_visible (GTK_WIDGET (self->banner_close), TRUE);
      gtk_widget_add_css_class (gtk_widget_get_parent (GTK_WIDGET (self->banner_label)), "warning");
      gtk_revealer_set_reveal_child (self->banner_revealer, TRUE);
      gtk_stack_set_visible_child_name (self->stack, self->dataset ? "main" : "empty");
      g_free (self->last_error);
      self->last_error = g_strdup (error->message);
      write_state (self);
      return;
    }

  g_clear_object (&self->open_cancellable);
  set_dataset (self, dataset);
}

static void
dismiss_open_error_action (GtkWidget  *widget,
                           const char *name,
                           GVariant   *param)
{
  DensitoWindow *self = DENSITO_WINDOW (widget);

  g_clear_pointer (&self->last_error, g_free);
  if (self->dataset != NULL)
    update_banner (self, is_sample (densito_dataset_get_path (self->dataset)));
  else
    gtk_revealer_set_reveal_child (self->banner_revealer, FALSE);
  write_state (self);
}

/**
 * densito_window_open_path:
 *
 * Opens a dataset folder or CSV file in a worker thread, with progress.
 * Opening another cancels the one under way.
 */
void
densito_window_open_path (DensitoWindow *self,
                          const char    *path)
{
  g_return_if_fail (DENSITO_IS_WINDOW (self));
  g_return_if_fail (path != NULL);

  /* Unsaved edits of the open dataset are saved (or asked about) first,
   * once the autosaves under way are written. */
  flush_then (self, AFTER_OPEN, path, self->autosave);
}

static void
open_path_now (DensitoWindow *self,
               const char    *path)
{
  g_autofree char *base = NULL;
  g_autofree char *text = NULL;
  GtkApplication *app;

  if (self->open_cancellable != NULL)
    g_cancellable_cancel (self->open_cancellable);
  g_clear_object (&self->open_cancellable);

  base = g_filename_display_basename (path);
  text = g_strdup_printf (_("Opening %s…"), base);
  gtk_label_set_text (self->loading_label, text);
  gtk_progress_bar_set_fraction (self->progress_bar, 0);
  gtk_stack_set_visible_child_name (self->stack, "loading");
  gtk_revealer_set_reveal_child (self->banner_revealer, FALSE);

  /* The first window's dataset has been loading since the process
   * started (main.c): take that load over. */
  app = gtk_window_get_application (GTK_WINDOW (self));
  if (DENSITO_IS_APPLICATION (app))
    self->open_cancellable = densito_application_claim_preload (DENSITO_APPLICATION (app), path,
                                                                progress_cb, g_rc_box_acquire (self->progress),
                                                                progress_release, open_done_cb, self);
  if (self->open_cancellable != NULL)
    {
      g_object_ref (self);   /* for open_done_cb */
      return;
    }

  /* Sidecars are read after the first frame (see set_dataset). */
  self->open_cancellable = g_cancellable_new ();
  densito_dataset_open_async (path, NULL, DENSITO_DATASET_OPEN_DEFER_ANNOTATIONS,
                              self->open_cancellable, progress_cb, self->progress,
                              open_done_cb, g_object_ref (self));
}

/**
 * densito_window_open_default:
 *
 * The dataset opened last, or the bundled sample.
 */
void
densito_window_open_default (DensitoWindow *self)
{
  g_autofree char *path = densito_application_dup_default_path (self->settings);

  densito_window_open_path (self, path);
}

/* State for tests: a small JSON file rewritten on every change, when
 * DENSITO_STATE_FILE names one. */
static void
write_state (DensitoWindow *self)
{
  g_autoptr(JsonBuilder) b = NULL;
  g_autoptr(JsonGenerator) gen = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;
  const char *selected;
  gsize len;

  if (self->state_file == NULL)
    return;

  selected = densito_window_get_selected_id (self);
  b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "query");
  json_builder_add_string_value (b, gtk_editable_get_text (GTK_EDITABLE (self->search_entry)));
  json_builder_set_member_name (b, "visible");
  json_builder_add_int_value (b, n_visible (self));
  json_builder_set_member_name (b, "total");
  json_builder_add_int_value (b, self->model ? densito_patient_model_get_total (self->model) : 0);
  json_builder_set_member_name (b, "selected");
  json_builder_add_string_value (b, selected ? selected : "");
  /* The patient whose details and scan show: "selected" changes first,
   * while the list is being filtered, and this one once the window has
   * left (and autosaved) the previous patient. */
  json_builder_set_member_name (b, "shown");
  json_builder_add_string_value (b, self->dataset != NULL && self->current_row >= 0
                                    ? densito_table_get_id (densito_dataset_get_table (self->dataset),
                                                            (guint)self->current_row)
                                    : "");
  json_builder_set_member_name (b, "image");
  json_builder_add_string_value (b, self->image_name ? self->image_name : "");
  json_builder_set_member_name (b, "error");
  json_builder_add_boolean_value (b, self->last_error != NULL);
  /* Editing */
  json_builder_set_member_name (b, "editing");
  json_builder_add_string_value (b, self->edits ? image_display_name (self, self->stack_image) : "");
  json_builder_set_member_name (b, "modified");
  json_builder_add_boolean_value (b, self->edits != NULL && densito_edit_stack_is_modified (self->edits));
  json_builder_set_member_name (b, "can_undo");
  json_builder_add_boolean_value (b, self->edits != NULL && densito_edit_stack_can_undo (self->edits));
  json_builder_set_member_name (b, "unsaved");
  json_builder_add_int_value (b, g_hash_table_size (self->kept) +
                              (self->edits != NULL && densito_edit_stack_is_modified (self->edits) ? 1 : 0));
  json_builder_set_member_name (b, "saving");
  json_builder_add_int_value (b, self->saving ? g_hash_table_size (self->saving) : 0);
  json_builder_set_member_name (b, "review");
  json_builder_add_string_value (b, self->edits ? densito_review_status_to_string (stack_review (self->edits)) : "");
  json_builder_set_member_name (b, "progress");
  json_builder_add_string_value (b, gtk_label_get_text (self->review_progress_label));
  json_builder_set_member_name (b, "save_problem");
  json_builder_add_string_value (b, self->save_error ? self->save_error : "");
  json_builder_set_member_name (b, "zoom");
  json_builder_add_double_value (b, densito_scan_view_get_effective_scale (self->scan_view));
  /* The shown ROIs, with their centres in the window's surface
   * coordinates, so that a test can aim real pointer events at them. */
  json_builder_set_member_name (b, "rois");
  json_builder_begin_array (b);
  if (self->edits != NULL)
    {
      DensitoSidecar *sidecar = densito_edit_stack_get_sidecar (self->edits);
      double nx = 0, ny = 0;

      if (gtk_widget_get_native (GTK_WIDGET (self)) != NULL)
        gtk_native_get_surface_transform (GTK_NATIVE (self), &nx, &ny);
      for (guint i = 0; i < densito_sidecar_get_n_rois (sidecar); i++)
        {
          const DensitoRoi *roi = densito_sidecar_get_roi (sidecar, i);
          double wx, wy, tx = 0, ty = 0;

          densito_scan_view_image_to_widget (self->scan_view, roi->box.cx, roi->box.cy, &wx, &wy);
          gtk_widget_translate_coordinates (GTK_WIDGET (self->scan_view), GTK_WIDGET (self), wx, wy, &tx, &ty);
          json_builder_begin_object (b);
          json_builder_set_member_name (b, "label");
          json_builder_add_string_value (b, roi->label ? roi->label : "");
          json_builder_set_member_name (b, "cx");
          json_builder_add_double_value (b, roi->box.cx);
          json_builder_set_member_name (b, "cy");
          json_builder_add_double_value (b, roi->box.cy);
          json_builder_set_member_name (b, "angle");
          json_builder_add_double_value (b, roi->box.angle);
          json_builder_set_member_name (b, "sx");
          json_builder_add_double_value (b, tx + nx);
          json_builder_set_member_name (b, "sy");
          json_builder_add_double_value (b, ty + ny);
          json_builder_end_object (b);
        }
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "selected_roi");
  json_builder_add_int_value (b, densito_scan_view_get_selected (self->scan_view));
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  gen = json_generator_new ();
  json_generator_set_root (gen, root);
  text = json_generator_to_data (gen, &len);
  g_file_set_contents (self->state_file, text, (gssize)len, NULL);
}

static gboolean
state_idle_cb (gpointer data)
{
  DensitoWindow *self = data;

  self->state_idle = 0;
  write_state (self);
  return G_SOURCE_REMOVE;
}

/* After the view settles (a zoom also pans), in one write. */
static void
schedule_state (DensitoWindow *self)
{
  if (self->state_idle == 0)
    self->state_idle = g_idle_add (state_idle_cb, self);
}

/* Actions */

static void
open_response_cb (GtkNativeDialog *dialog,
                  int              response,
                  DensitoWindow   *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = file ? g_file_get_path (file) : NULL;
      if (path != NULL)
        densito_window_open_path (self, path);
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
}

static void
open_chooser (DensitoWindow        *self,
              GtkFileChooserAction  action)
{
  GtkFileChooserNative *chooser;

  chooser = gtk_file_chooser_native_new (action == GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER
                                         ? _("Open a Dataset Folder") : _("Open a Patient Table"),
                                         GTK_WINDOW (self), action, _("_Open"), _("_Cancel"));
  if (action == GTK_FILE_CHOOSER_ACTION_OPEN)
    {
      g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();
      gtk_file_filter_set_name (filter, _("Patient tables (CSV)"));
      gtk_file_filter_add_suffix (filter, "csv");
      gtk_file_filter_add_mime_type (filter, "text/csv");
      gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), filter);
    }
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  g_signal_connect (chooser, "response", G_CALLBACK (open_response_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
open_action (GtkWidget  *widget,
             const char *name,
             GVariant   *param)
{
  open_chooser (DENSITO_WINDOW (widget), GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER);
}

static void
open_table_action (GtkWidget  *widget,
                   const char *name,
                   GVariant   *param)
{
  open_chooser (DENSITO_WINDOW (widget), GTK_FILE_CHOOSER_ACTION_OPEN);
}

static void
open_sample_action (GtkWidget  *widget,
                    const char *name,
                    GVariant   *param)
{
  g_autofree char *sample = densito_application_dup_sample_path ();
  densito_window_open_path (DENSITO_WINDOW (widget), sample);
}

static void
open_recent_action (GtkWidget  *widget,
                    const char *name,
                    GVariant   *param)
{
  densito_window_open_path (DENSITO_WINDOW (widget), g_variant_get_string (param, NULL));
}

static void
cancel_open_action (GtkWidget  *widget,
                    const char *name,
                    GVariant   *param)
{
  DensitoWindow *self = DENSITO_WINDOW (widget);

  if (self->open_cancellable != NULL)
    g_cancellable_cancel (self->open_cancellable);
}

/* The shortcuts window, built the first time it is asked for: loaded by
 * GtkApplicationWindow from gtk/help-overlay.ui, it took 30-40 ms of
 * every start. */
static void
show_help_overlay_action (GtkWidget  *widget,
                          const char *name,
                          GVariant   *param)
{
  GtkApplicationWindow *window = GTK_APPLICATION_WINDOW (widget);
  GtkShortcutsWindow *overlay = gtk_application_window_get_help_overlay (window);

  if (overlay == NULL)
    {
      g_autoptr(GtkBuilder) builder = gtk_builder_new_from_resource ("/io/github/densito/Densito/densito-shortcuts-window.ui");

      overlay = GTK_SHORTCUTS_WINDOW (gtk_builder_get_object (builder, "help_overlay"));
      gtk_application_window_set_help_overlay (window, overlay);
    }
  gtk_window_present (GTK_WINDOW (overlay));
}

static void
focus_search_action (GtkWidget  *widget,
                     const char *name,
                     GVariant   *param)
{
  DensitoWindow *self = DENSITO_WINDOW (widget);

  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

static void
step_image_action (GtkWidget  *widget,
                   const char *name,
                   GVariant   *param)
{
  DensitoWindow *self = DENSITO_WINDOW (widget);
  gboolean next = g_str_equal (name, "win.next-image");
  guint n;

  /* As for a review: the switch of patients is done instead. */
  if (finish_show_after_frame (self))
    return;
  if (self->current_row < 0)
    return;
  row_images (self, (guint)self->current_row, &n);
  if (n < 2)
    return;
  if (next && self->current_image + 1 < n)
    show_image (self, self->current_image + 1);
  else if (!next && self->current_image > 0)
    show_image (self, self->current_image - 1);
}

static void
show_problems_action (GtkWidget  *widget,
                      const char *name,
                      GVariant   *param)
{
  DensitoWindow *self = DENSITO_WINDOW (widget);
  GtkWidget *window;

  if (self->dataset == NULL)
    return;
  {
    const char *path = densito_dataset_get_path (self->dataset);
    g_autofree char *folder = g_file_test (path, G_FILE_TEST_IS_DIR) ? g_strdup (path) : g_path_get_dirname (path);

    window = densito_problems_window_new (GTK_WINDOW (self), densito_dataset_get_diagnostics (self->dataset), folder);
  }
  gtk_window_present (GTK_WINDOW (window));
}

/* Drag and drop of a folder or CSV file */

static gboolean
drop_cb (GtkDropTarget *target,
         const GValue  *value,
         double         x,
         double         y,
         DensitoWindow *self)
{
  GSList *files;

  if (!G_VALUE_HOLDS (value, GDK_TYPE_FILE_LIST))
    return FALSE;
  files = gdk_file_list_get_files (g_value_get_boxed (value));
  if (files != NULL)
    {
      g_autofree char *path = g_file_get_path (files->data);
      g_slist_free (files);
      if (path != NULL)
        {
          densito_window_open_path (self, path);
          return TRUE;
        }
    }
  return FALSE;
}

/* GObject */

static gboolean
densito_window_close_request (GtkWindow *window)
{
  DensitoWindow *self = DENSITO_WINDOW (window);
  int width, height;

  /* Never lose work: autosave, or ask when it is off or a save failed;
   * the saves under way are written first (flush_then closes again). */
  if (g_hash_table_size (self->saving) > 0 || (!self->close_confirmed && any_unsaved (self)))
    {
      flush_then (self, AFTER_CLOSE, NULL, self->autosave);
      return TRUE;
    }

  gtk_window_get_default_size (window, &width, &height);
  g_settings_set_int (self->settings, "window-width", width);
  g_settings_set_int (self->settings, "window-height", height);
  g_settings_set_boolean (self->settings, "window-maximized", gtk_window_is_maximized (window));
  g_settings_set_int (self->settings, "list-pane-position", gtk_paned_get_position (self->list_paned));
  g_settings_set_int (self->settings, "details-pane-position", gtk_paned_get_position (self->details_paned));

  if (self->open_cancellable != NULL)
    g_cancellable_cancel (self->open_cancellable);
  if (self->image_cancellable != NULL)
    g_cancellable_cancel (self->image_cancellable);

  return GTK_WINDOW_CLASS (densito_window_parent_class)->close_request (window);
}

static void
densito_window_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  DensitoWindow *self = DENSITO_WINDOW (object);

  switch (prop_id)
    {
    case PROP_AUTOSAVE:
      g_value_set_boolean (value, self->autosave);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
densito_window_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  DensitoWindow *self = DENSITO_WINDOW (object);

  switch (prop_id)
    {
    case PROP_AUTOSAVE:
      if (self->autosave != g_value_get_boolean (value))
        {
          self->autosave = g_value_get_boolean (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
densito_window_dispose (GObject *object)
{
  DensitoWindow *self = DENSITO_WINDOW (object);

  if (self->settings != NULL)
    g_settings_unbind (self, "autosave");
  g_clear_handle_id (&self->state_idle, g_source_remove);
  g_clear_handle_id (&self->banner_timeout, g_source_remove);
  frame_wait_stop (&self->slice_wait);
  frame_wait_stop (&self->show_wait);
  frame_wait_stop (&self->vacant_wait);
  frame_wait_stop (&self->reveal_wait);
  frame_wait_stop (&self->hold_wait);
  drop_held_load (self);
  if (self->reveal_tab_tick != 0)
    gtk_widget_remove_tick_callback (GTK_WIDGET (self->thumbnail_box), self->reveal_tab_tick);
  self->reveal_tab_tick = 0;

  if (self->selection != NULL)
    g_signal_handlers_disconnect_by_func (self->selection, selection_changed_cb, self);
  gtk_widget_dispose_template (GTK_WIDGET (self), DENSITO_TYPE_WINDOW);

  g_clear_object (&self->selection);
  g_clear_object (&self->model);
  g_clear_object (&self->edits);
  g_clear_pointer (&self->kept, g_hash_table_unref);
  g_clear_pointer (&self->saving, g_hash_table_unref);
  if (self->copy_cancellable != NULL)
    g_cancellable_cancel (self->copy_cancellable);
  g_clear_object (&self->copy_cancellable);
  g_clear_object (&self->dataset);
  g_clear_object (&self->settings);
  if (self->open_cancellable != NULL)
    g_cancellable_cancel (self->open_cancellable);
  g_clear_object (&self->open_cancellable);
  g_clear_object (&self->image_cancellable);
  if (self->prefetch_cancellable != NULL)
    g_cancellable_cancel (self->prefetch_cancellable);
  g_clear_object (&self->prefetch_cancellable);
  if (self->annotations_cancellable != NULL)
    g_cancellable_cancel (self->annotations_cancellable);
  g_clear_object (&self->annotations_cancellable);
  g_queue_clear (&self->texture_order);
  g_clear_pointer (&self->textures, g_hash_table_unref);
  if (self->progress != NULL)
    {
      g_weak_ref_set (&self->progress->window, NULL);
      g_rc_box_release_full (self->progress, (GDestroyNotify)progress_free);
      self->progress = NULL;
    }

  G_OBJECT_CLASS (densito_window_parent_class)->dispose (object);
}

static void
densito_window_finalize (GObject *object)
{
  DensitoWindow *self = DENSITO_WINDOW (object);

  g_free (self->dataset_path);
  g_free (self->image_name);
  g_free (self->state_file);
  g_free (self->last_error);
  g_free (self->last_query);
  g_free (self->save_error);
  g_free (self->after_saves_path);

  G_OBJECT_CLASS (densito_window_parent_class)->finalize (object);
}

static void
densito_window_class_init (DensitoWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = densito_window_dispose;
  object_class->get_property = densito_window_get_property;
  object_class->set_property = densito_window_set_property;

  /* Save edits when another image shows and when the window closes. */
  properties[PROP_AUTOSAVE] = g_param_spec_boolean ("autosave", NULL, NULL, TRUE,
                                                    G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY |
                                                    G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
  object_class->finalize = densito_window_finalize;
  window_class->close_request = densito_window_close_request;

  g_type_ensure (DENSITO_TYPE_PATIENT);
  g_type_ensure (DENSITO_TYPE_COLUMN_SORTER);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/densito/Densito/densito-window.ui");
  gtk_widget_class_bind_template_child (widget_class, DensitoWindow, title_label);
  gtk_widget_class_bind_template_child (widget_class, DensitoWindow, subtitle_label);
  gtk_widget_class_bind_template_child (widget_class, DensitoWindow, banner_revealer);
  gtk_widget_class_bind_template_child (widget_class, DensitoWindow, banner_label);
  gtk_widget_class_bind_template_child (widget_class, DensitoWindow, banner_button);
  gtk_widget_class_bind_template_child (widget_class, DensitoWindow, banner_close);
  gtk_widget_class_bind_template_child (widget_class, DensitoWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, DensitoWindow, loading_label);
  gtk_widget_class_bind_template_child (widget_class, DensitoWindow, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, DensitoWindow, list_paned);
  gtk_widget_class_bind_template_child (widget_class, DensitoWindow, details_paned);
  gtk_widget_class_bind_template_child (widget_class, DensitoWindow, search_entry);
  gtk_widget_class_bind_template_child (widget_class, DensitoWindow, query_error_label);
  gtk_widget_class_bind_template_child (widget_class, DensitoWindow, count_label);
  gtk_widget_class_bind_template_child (widget_class, DensitoWindow, sex_dropdown);
  gtk_widget_class_bind_template_child (widget_class, DensitoWindow, class_dropdown);
  gtk_widget_class_bind_template_child (widget_class, DensitoWindow, disagree_toggle);
  gtk_widget_class_bind_template_child (widget_class, DensitoWindow, applicable_toggle);
  gtk_widget_class_bind_template_child (widget_class, DensitoWindow, images_toggle);
  gtk_widget_class_bind_template_child (widget_class, DensitoWindow, column_view);
  gtk_widget_class_bind_template_child (widget_class, DensitoWindow, thumbnail_box);
  gtk_widget_class_bind_template_child (widget_class, DensitoWindow, scan_box);
  gtk_widget_class_bind_template_child (widget_class, DensitoWindow, scan_toolbar);
  gtk_widget_class_bind_template_child (widget_class, DensitoWindow, details_box);
  gtk_widget_class_bind_template_child (widget_class, DensitoWindow, details_scroller);
  gtk_widget_class_bind_template_child (widget_class, DensitoWindow, recent_section);
  gtk_widget_class_bind_template_child (widget_class, DensitoWindow, review_progress_label);
  gtk_widget_class_bind_template_child (widget_class, DensitoWindow, save_banner_revealer);
  gtk_widget_class_bind_template_child (widget_class, DensitoWindow, save_banner);
  gtk_widget_class_bind_template_child (widget_class, DensitoWindow, save_banner_label);
  gtk_widget_class_bind_template_child (widget_class, DensitoWindow, reload_theirs_button);
  gtk_widget_class_bind_template_child (widget_class, DensitoWindow, keep_mine_button);
  gtk_widget_class_bind_template_child (widget_class, DensitoWindow, retry_save_button);
  gtk_widget_class_bind_template_child (widget_class, DensitoWindow, edit_toolbar);
  gtk_widget_class_bind_template_child (widget_class, DensitoWindow, review_status_label);
  gtk_widget_class_bind_template_child (widget_class, DensitoWindow, primary_menu_button);
  gtk_widget_class_bind_template_child (widget_class, DensitoWindow, columns_button);
  gtk_widget_class_bind_template_child (widget_class, DensitoWindow, primary_menu);
  gtk_widget_class_bind_template_child (widget_class, DensitoWindow, columns_menu);
  gtk_widget_class_bind_template_child (widget_class, DensitoWindow, accept_button);
  gtk_widget_class_bind_template_child (widget_class, DensitoWindow, correct_button);
  gtk_widget_class_bind_template_child (widget_class, DensitoWindow, exclude_button);

  gtk_widget_class_install_action (widget_class, "win.open", NULL, open_action);
  gtk_widget_class_install_action (widget_class, "win.open-table", NULL, open_table_action);
  gtk_widget_class_install_action (widget_class, "win.open-sample", NULL, open_sample_action);
  gtk_widget_class_install_action (widget_class, "win.open-recent", "s", open_recent_action);
  gtk_widget_class_install_action (widget_class, "win.cancel-open", NULL, cancel_open_action);
  gtk_widget_class_install_action (widget_class, "win.focus-search", NULL, focus_search_action);
  gtk_widget_class_install_action (widget_class, "win.show-help-overlay", NULL, show_help_overlay_action);
  gtk_widget_class_install_action (widget_class, "win.previous-patient", NULL, step_patient_action);
  gtk_widget_class_install_action (widget_class, "win.next-patient", NULL, step_patient_action);
  gtk_widget_class_install_action (widget_class, "win.previous-image", NULL, step_image_action);
  gtk_widget_class_install_action (widget_class, "win.next-image", NULL, step_image_action);
  gtk_widget_class_install_action (widget_class, "win.show-problems", NULL, show_problems_action);
  gtk_widget_class_install_action (widget_class, "win.dismiss-open-error", NULL, dismiss_open_error_action);
  gtk_widget_class_install_property_action (widget_class, "win.autosave", "autosave");
  gtk_widget_class_install_action (widget_class, "win.save", NULL, save_action);
  gtk_widget_class_install_action (widget_class, "win.undo", NULL, undo_action);
  gtk_widget_class_install_action (widget_class, "win.redo", NULL, undo_action);
  gtk_widget_class_install_action (widget_class, "win.review-accept", NULL, review_action);
  gtk_widget_class_install_action (widget_class, "win.review-correct", NULL, review_action);
  gtk_widget_class_install_action (widget_class, "win.review-exclude", NULL, review_action);
  gtk_widget_class_install_action (widget_class, "win.add-roi", NULL, scan_action);
  gtk_widget_class_install_action (widget_class, "win.delete-roi", NULL, scan_action);
  gtk_widget_class_install_action (widget_class, "win.duplicate-roi", NULL, scan_action);
  gtk_widget_class_install_action (widget_class, "win.relabel-roi", NULL, scan_action);
  gtk_widget_class_install_action (widget_class, "win.copy-previous-rois", NULL, copy_previous_action);
  gtk_widget_class_install_action (widget_class, "win.reload-theirs", NULL, reload_theirs_action);
  gtk_widget_class_install_action (widget_class, "win.keep-mine", NULL, keep_mine_action);
  gtk_widget_class_install_action (widget_class, "win.dismiss-save-banner", NULL, dismiss_save_banner_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_o, GDK_CONTROL_MASK, "win.open", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_o, GDK_CONTROL_MASK | GDK_SHIFT_MASK, "win.open-table", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_O, GDK_CONTROL_MASK | GDK_SHIFT_MASK, "win.open-table", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_f, GDK_CONTROL_MASK, "win.focus-search", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Left, GDK_ALT_MASK, "win.previous-image", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Right, GDK_ALT_MASK, "win.next-image", NULL);
  /* Bubble phase: a focused text entry keeps its own Ctrl+Z and letters. */
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_s, GDK_CONTROL_MASK, "win.save", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_z, GDK_CONTROL_MASK, "win.undo", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_z, GDK_CONTROL_MASK | GDK_SHIFT_MASK, "win.redo", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Z, GDK_CONTROL_MASK | GDK_SHIFT_MASK, "win.redo", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_y, GDK_CONTROL_MASK, "win.redo", NULL);
  {
    static const struct { guint key; GdkModifierType mods; const char *action; } scan_keys[] = {
      { GDK_KEY_plus, 0, "scan-view.zoom-in" }, { GDK_KEY_equal, 0, "scan-view.zoom-in" },
      { GDK_KEY_KP_Add, 0, "scan-view.zoom-in" }, { GDK_KEY_minus, 0, "scan-view.zoom-out" },
      { GDK_KEY_KP_Subtract, 0, "scan-view.zoom-out" }, { GDK_KEY_0, 0, "scan-view.zoom-fit" },
      { GDK_KEY_KP_0, 0, "scan-view.zoom-fit" }, { GDK_KEY_1, 0, "scan-view.zoom-one" },
      { GDK_KEY_KP_1, 0, "scan-view.zoom-one" }, { GDK_KEY_o, 0, "scan-view.show-rois" },
      { GDK_KEY_O, GDK_SHIFT_MASK, "scan-view.show-rois" },
    };

    for (guint i = 0; i < G_N_ELEMENTS (scan_keys); i++)
      gtk_widget_class_add_binding (widget_class, scan_keys[i].key, scan_keys[i].mods, scan_view_key_cb,
                                    "s", scan_keys[i].action);
  }
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_a, 0, "win.review-accept", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_c, 0, "win.review-correct", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_x, 0, "win.review-exclude", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_v, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "win.copy-previous-rois", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_V, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "win.copy-previous-rois", NULL);
}

/* The list's columns by the names the settings and the column menu
 * (win.column-NAME) use, in the column view's order; ID always shows. */
static const char *column_names[] = {
  "id", "sex", "age", "spine", "hip", "neck", "class", "label", "images", "review",
};

/* The columns, shown or not, in their order; a hidden column is taken out
 * of the view rather than made invisible: GtkColumnView 4.8 lays its rows
 * out right to left as if invisible columns still took their width, so
 * the cells of a Persian list would sit under the wrong titles. */
static GPtrArray *
all_columns (DensitoWindow *self)
{
  return g_object_get_data (G_OBJECT (self), "densito-all-columns");
}

static void
column_action_cb (GSimpleAction *action,
                  GVariant      *state,
                  DensitoWindow *self)
{
  GPtrArray *columns = all_columns (self);
  const char *name = g_action_get_name (G_ACTION (action)) + strlen ("column-");
  gboolean show = g_variant_get_boolean (state);
  GtkColumnViewColumn *column = NULL;
  guint position = 0;
  g_autoptr(GPtrArray) shown = g_ptr_array_new ();

  g_simple_action_set_state (action, state);
  for (guint i = 0; i < columns->len; i++)
    {
      GtkColumnViewColumn *c = g_ptr_array_index (columns, i);

      if (strcmp (column_names[i], name) == 0)
        column = c;
      else if (column == NULL && gtk_column_view_column_get_column_view (c) != NULL)
        position++;
    }
  g_return_if_fail (column != NULL);
  if (show && gtk_column_view_column_get_column_view (column) == NULL)
    gtk_column_view_insert_column (self->column_view, position, column);
  else if (!show && gtk_column_view_column_get_column_view (column) != NULL)
    gtk_column_view_remove_column (self->column_view, column);
  for (guint i = 1; i < columns->len; i++)
    if (gtk_column_view_column_get_column_view (g_ptr_array_index (columns, i)) != NULL)
      g_ptr_array_add (shown, (gpointer)column_names[i]);
  g_ptr_array_add (shown, NULL);
  g_settings_set_strv (self->settings, "list-columns", (const char * const *)shown->pdata);
}

/* The Columns menu: one check item per column, remembered in the settings.
 * By default the list shows what fits beside the scan at 1280 px; the
 * dataset label, images and review columns are a click away. */
static void
set_up_column_chooser (DensitoWindow *self)
{
  GListModel *model = gtk_column_view_get_columns (self->column_view);
  GPtrArray *columns = g_ptr_array_new_with_free_func (g_object_unref);
  g_auto(GStrv) shown = g_settings_get_strv (self->settings, "list-columns");

  g_assert (g_list_model_get_n_items (model) == G_N_ELEMENTS (column_names));
  for (guint i = 0; i < G_N_ELEMENTS (column_names); i++)
    g_ptr_array_add (columns, g_list_model_get_item (model, i));
  g_object_set_data_full (G_OBJECT (self), "densito-all-columns", columns, (GDestroyNotify)g_ptr_array_unref);
  for (guint i = 1; i < G_N_ELEMENTS (column_names); i++)
    {
      g_autofree char *name = g_strdup_printf ("column-%s", column_names[i]);
      gboolean show = g_strv_contains ((const char * const *)shown, column_names[i]);
      g_autoptr(GSimpleAction) action = g_simple_action_new_stateful (name, NULL, g_variant_new_boolean (show));

      if (!show)
        gtk_column_view_remove_column (self->column_view, g_ptr_array_index (columns, i));
      g_signal_connect_object (action, "change-state", G_CALLBACK (column_action_cb), self, 0);
      g_action_map_add_action (G_ACTION_MAP (self), G_ACTION (action));
    }
}

/* Until the user moves them, the panes split the window so that the list
 * shows its columns without scrolling sideways and the details keep a
 * readable width; the scan view takes the rest. */
static void
set_default_pane_positions (DensitoWindow *self)
{
  g_autoptr(GVariant) list_set = g_settings_get_user_value (self->settings, "list-pane-position");
  g_autoptr(GVariant) details_set = g_settings_get_user_value (self->settings, "details-pane-position");
  int list = g_settings_get_int (self->settings, "list-pane-position");
  int details = g_settings_get_int (self->settings, "details-pane-position");

  if (list_set == NULL)
    {
      GListModel *columns = gtk_column_view_get_columns (self->column_view);

      /* The columns shown have fixed widths (before the first layout, a
       * measure of the view would give none). */
      list = 0;
      for (guint i = 0; i < g_list_model_get_n_items (columns); i++)
        {
          g_autoptr(GtkColumnViewColumn) c = g_list_model_get_item (columns, i);

          list += MAX (gtk_column_view_column_get_fixed_width (c), 0);
        }
      list = MAX (list, 320);
    }
  if (details_set == NULL)
    details = MAX (g_settings_get_int (self->settings, "window-width") - list - 330, 240);
  gtk_paned_set_position (self->list_paned, list);
  gtk_paned_set_position (self->details_paned, details);
}

/* The "Adjust Image" button stands out while the image is not shown as
 * scanned, so that a brightened or inverted image is never mistaken for the
 * original once the popover is closed. */
static void
image_adjusted_cb (DensitoScanView *view,
                   GParamSpec      *pspec,
                   GtkWidget       *button)
{
  double brightness = 0, contrast = 1;
  gboolean invert = FALSE;
  gboolean adjusted;

  g_object_get (view, "brightness", &brightness, "contrast", &contrast, "invert", &invert, NULL);
  adjusted = fabs (brightness) > 1e-6 || fabs (contrast - 1) > 1e-6 || invert;
  /* On the menu button and on its button node ("menubutton > button.toggle"),
   * which the theme draws. */
  for (GtkWidget *w = button; w != NULL; w = w == button ? gtk_widget_get_first_child (button) : NULL)
    {
      if (adjusted)
        gtk_widget_add_css_class (w, "image-adjusted");
      else
        gtk_widget_remove_css_class (w, "image-adjusted");
    }
  gtk_widget_set_tooltip_text (button, adjusted ? _("Brightness, contrast and invert: changed, the image is not shown as scanned")
                                                : _("Brightness, contrast and invert"));
}

/* One row of the adjustments popover: a caption and its slider. */
static void
attach_scale (GtkGrid       *grid,
              int            row,
              const char    *caption,
              GtkAdjustment *adj)
{
  GtkWidget *label = gtk_label_new (caption);
  GtkWidget *scale = gtk_scale_new (GTK_ORIENTATION_HORIZONTAL, adj);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_set_size_request (scale, 200, -1);
  gtk_widget_set_hexpand (scale, TRUE);
  gtk_widget_set_tooltip_text (scale, caption);
  gtk_accessible_update_property (GTK_ACCESSIBLE (scale), GTK_ACCESSIBLE_PROPERTY_LABEL, caption, -1);
  gtk_grid_attach (grid, label, 0, row, 1, 1);
  gtk_grid_attach (grid, scale, 1, row, 1, 1);
}

/* The view controls under the scan: zoom as one linked group, the window
 * and level and invert in an "Adjust Image" popover, ROIs on or off. */
static void
build_scan_toolbar (DensitoWindow *self)
{
  static const struct { const char *icon; const char *tip; } zoom[] = {
    { "zoom-out-symbolic", N_("Zoom out (−)") },
    { "zoom-fit-best-symbolic", N_("Fit to the view (0)") },
    { "zoom-original-symbolic", N_("Actual size (1)") },
    { "zoom-in-symbolic", N_("Zoom in (+)") },
  };
  GtkWidget *w, *group, *grid, *row, *popover, *adjust;
  GtkAdjustment *adj;

  group = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);
  gtk_widget_add_css_class (group, "linked");
  for (guint i = 0; i < G_N_ELEMENTS (zoom); i++)
    {
      w = gtk_button_new_from_icon_name (zoom[i].icon);
      gtk_widget_set_tooltip_text (w, _(zoom[i].tip));
      gtk_accessible_update_property (GTK_ACCESSIBLE (w), GTK_ACCESSIBLE_PROPERTY_LABEL, _(zoom[i].tip), -1);
      g_signal_connect_swapped (w, "clicked",
                                G_CALLBACK (i == 0 ? densito_scan_view_zoom_out :
                                            i == 1 ? densito_scan_view_zoom_fit :
                                            i == 2 ? densito_scan_view_zoom_one : densito_scan_view_zoom_in),
                                self->scan_view);
      gtk_box_append (GTK_BOX (group), w);
    }
  gtk_box_append (self->scan_toolbar, group);

  grid = gtk_grid_new ();
  gtk_grid_set_row_spacing (GTK_GRID (grid), 6);
  gtk_grid_set_column_spacing (GTK_GRID (grid), 12);
  adj = gtk_adjustment_new (0, -1, 1, 0.05, 0.1, 0);
  g_object_bind_property (adj, "value", self->scan_view, "brightness", G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE);
  attach_scale (GTK_GRID (grid), 0, _("Brightness"), adj);
  adj = gtk_adjustment_new (1, 0.1, 4, 0.05, 0.25, 0);
  g_object_bind_property (adj, "value", self->scan_view, "contrast", G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE);
  attach_scale (GTK_GRID (grid), 1, _("Contrast"), adj);
  row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  gtk_widget_set_halign (row, GTK_ALIGN_END);
  w = gtk_toggle_button_new_with_label (_("Invert"));
  g_object_bind_property (self->scan_view, "invert", w, "active", G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE);
  gtk_box_append (GTK_BOX (row), w);
  w = gtk_button_new_with_label (_("Reset"));
  gtk_widget_set_tooltip_text (w, _("Reset brightness, contrast and invert"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (w), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Reset brightness, contrast and invert"), -1);
  g_signal_connect_swapped (w, "clicked", G_CALLBACK (densito_scan_view_reset_adjustments), self->scan_view);
  gtk_box_append (GTK_BOX (row), w);
  gtk_grid_attach (GTK_GRID (grid), row, 0, 2, 2, 1);
  popover = gtk_popover_new ();
  gtk_popover_set_child (GTK_POPOVER (popover), grid);

  adjust = gtk_menu_button_new ();
  gtk_menu_button_set_icon_name (GTK_MENU_BUTTON (adjust), "display-brightness-symbolic");
  gtk_menu_button_set_always_show_arrow (GTK_MENU_BUTTON (adjust), TRUE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (adjust), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Adjust Image"), -1);
  gtk_menu_button_set_popover (GTK_MENU_BUTTON (adjust), popover);
  gtk_widget_set_name (adjust, "adjust-image");
  g_signal_connect_object (self->scan_view, "notify::brightness", G_CALLBACK (image_adjusted_cb), adjust, 0);
  g_signal_connect_object (self->scan_view, "notify::contrast", G_CALLBACK (image_adjusted_cb), adjust, 0);
  g_signal_connect_object (self->scan_view, "notify::invert", G_CALLBACK (image_adjusted_cb), adjust, 0);
  image_adjusted_cb (self->scan_view, NULL, adjust);
  gtk_box_append (self->scan_toolbar, adjust);

  w = gtk_toggle_button_new_with_label (_("ROIs"));
  gtk_widget_set_tooltip_text (w, _("Show the ROI boxes (O)"));
  gtk_widget_set_halign (w, GTK_ALIGN_END);
  gtk_widget_set_hexpand (w, TRUE);
  /* The view owns the state (O toggles it too): sync from the view. */
  g_object_bind_property (self->scan_view, "show-rois", w, "active", G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE);
  gtk_box_append (self->scan_toolbar, w);
}

static void
densito_window_init (DensitoWindow *self)
{
  GtkDropTarget *drop;
  g_autoptr(GPropertyAction) details_action = NULL;

  gtk_widget_init_template (GTK_WIDGET (self));
  set_up_menu_button (self->primary_menu_button, self->primary_menu);
  set_up_menu_button (self->columns_button, self->columns_menu);

  self->current_row = -1;
  self->show_pending = -1;
  self->stack_image = -1;
  self->banner_image = -1;
  self->kept = g_hash_table_new_full (NULL, NULL, NULL, g_object_unref);
  self->saving = g_hash_table_new_full (NULL, NULL, NULL, g_object_unref);
  self->install_waiting = -1;
  self->textures = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  g_queue_init (&self->texture_order);
  self->settings = g_settings_new (APP_ID);
  self->progress = g_rc_box_new0 (Progress);
  g_mutex_init (&self->progress->lock);
  g_weak_ref_init (&self->progress->window, self);
  self->bench_startup = g_strcmp0 (g_getenv ("DENSITO_BENCH"), "startup") == 0;
  self->state_file = g_strdup (g_getenv ("DENSITO_STATE_FILE"));

  self->scan_view = DENSITO_SCAN_VIEW (densito_scan_view_new ());
  gtk_widget_set_hexpand (GTK_WIDGET (self->scan_view), TRUE);
  gtk_widget_set_vexpand (GTK_WIDGET (self->scan_view), TRUE);
  gtk_box_append (self->scan_box, GTK_WIDGET (self->scan_view));
  build_scan_toolbar (self);
  set_up_columns (self);
  set_up_column_chooser (self);
  g_signal_connect_object (gtk_scrollable_get_hadjustment (GTK_SCROLLABLE (self->column_view)), "changed",
                           G_CALLBACK (rtl_hadjustment_changed_cb), self->column_view, 0);
  {
    GtkEventController *keys = gtk_event_controller_key_new ();

    gtk_event_controller_set_propagation_phase (keys, GTK_PHASE_CAPTURE);
    g_signal_connect (keys, "key-pressed", G_CALLBACK (list_tab_cb), NULL);
    gtk_widget_add_controller (GTK_WIDGET (self->column_view), keys);
  }
  {
    GtkEventController *keys = gtk_event_controller_key_new ();

    /* before the entry's text, which takes Up and Down for nothing */
    gtk_event_controller_set_propagation_phase (keys, GTK_PHASE_CAPTURE);
    g_signal_connect (keys, "key-pressed", G_CALLBACK (step_patient_key_cb), self);
    gtk_widget_add_controller (GTK_WIDGET (self->search_entry), keys);
    /* on the scan: only when no ROI is selected (which they move) */
    keys = gtk_event_controller_key_new ();
    g_signal_connect (keys, "key-pressed", G_CALLBACK (step_patient_key_cb), self);
    gtk_widget_add_controller (GTK_WIDGET (self->scan_view), keys);
  }

  gtk_window_set_default_size (GTK_WINDOW (self),
                               g_settings_get_int (self->settings, "window-width"),
                               g_settings_get_int (self->settings, "window-height"));
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));
  set_default_pane_positions (self);
  g_settings_bind (self->settings, "show-details", self->details_scroller, "visible", G_SETTINGS_BIND_DEFAULT);
  details_action = g_property_action_new ("show-details", self->details_scroller, "visible");
  g_action_map_add_action (G_ACTION_MAP (self), G_ACTION (details_action));
  self->autosave = TRUE;
  g_settings_bind (self->settings, "autosave", self, "autosave", G_SETTINGS_BIND_DEFAULT);
  g_signal_connect (self->scan_view, "notify::selected", G_CALLBACK (selected_roi_cb), self);
  if (self->state_file != NULL)
    g_signal_connect_swapped (self->scan_view, "notify", G_CALLBACK (schedule_state), self);
  update_edit_state (self);
  update_recent_menu (self);

  g_signal_connect (self->search_entry, "search-changed", G_CALLBACK (search_changed_cb), self);
  g_signal_connect (self->sex_dropdown, "notify::selected", G_CALLBACK (sex_changed_cb), self);
  g_signal_connect (self->class_dropdown, "notify::selected", G_CALLBACK (class_changed_cb), self);
  g_signal_connect (self->disagree_toggle, "toggled", G_CALLBACK (toggle_filter_cb), self);
  g_signal_connect (self->applicable_toggle, "toggled", G_CALLBACK (toggle_filter_cb), self);
  g_signal_connect (self->images_toggle, "toggled", G_CALLBACK (toggle_filter_cb), self);

  drop = gtk_drop_target_new (GDK_TYPE_FILE_LIST, GDK_ACTION_COPY);
  g_signal_connect (drop, "drop", G_CALLBACK (drop_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drop));

  gtk_stack_set_visible_child_name (self->stack, "empty");
}

DensitoWindow *
densito_window_new (DensitoApplication *application)
{
  return g_object_new (DENSITO_TYPE_WINDOW, "application", application, NULL);
}

DensitoDataset *
densito_window_get_dataset (DensitoWindow *self)
{
  g_return_val_if_fail (DENSITO_IS_WINDOW (self), NULL);
  return self->dataset;
}

guint
densito_window_get_n_visible (DensitoWindow *self)
{
  g_return_val_if_fail (DENSITO_IS_WINDOW (self), 0);
  return n_visible (self);
}

const char *
densito_window_get_selected_id (DensitoWindow *self)
{
  g_autoptr(DensitoPatient) patient = NULL;

  g_return_val_if_fail (DENSITO_IS_WINDOW (self), NULL);

  if (self->selection == NULL)
    return NULL;
  /* The ID is the table's; the model keeps the item. */
  patient = densito_list_selection_dup_selected_item (self->selection);
  return patient != NULL ? densito_patient_get_id (patient) : NULL;
}

const char *
densito_window_get_image_name (DensitoWindow *self)
{
  g_return_val_if_fail (DENSITO_IS_WINDOW (self), NULL);
  return self->image_name;
}

/* The query text that drives the list now (the last one that parsed;
 * an empty string when the list is unfiltered). */
const char *
densito_window_get_query_text (DensitoWindow *self)
{
  g_return_val_if_fail (DENSITO_IS_WINDOW (self), NULL);
  return self->last_query ? self->last_query : "";
}

/* Whether autosaves are being written in a worker (tests wait for it). */
gboolean
densito_window_is_saving (DensitoWindow *self)
{
  g_return_val_if_fail (DENSITO_IS_WINDOW (self), FALSE);
  return self->saving != NULL && g_hash_table_size (self->saving) > 0;
}

gboolean
densito_window_is_loading (DensitoWindow *self)
{
  g_return_val_if_fail (DENSITO_IS_WINDOW (self), FALSE);
  return self->open_cancellable != NULL;
}
