/* test-locale.c
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The main window in one language and theme, as meson runs it several times
 * (en, fa, de, and en with Adwaita:dark): the translation is in use, Persian
 * mirrors the window, nothing is squeezed below its minimum size or out of
 * the window, every control has an accessible name, and a screenshot goes to
 * DENSITO_SCREENSHOT_DIR as window-<DENSITO_TEST_TAG>.png.
 */
#include "config.h"

#include <glib/gi18n.h>
#include <gtk/gtk.h>
#include <locale.h>
#include <string.h>

#include "densito-application.h"
#include "densito-cell.h"
#include "densito-export-dialog.h"
#include "densito-problems-window.h"
#include "densito-scan-view.h"
#include "densito-window.h"
#include "ui-util.h"

#define spin ui_spin
#define find_widget(root, type) ui_find_widget (root, type, NULL, TRUE)
#define save_screenshot(widget, name) g_assert_true (ui_save_screenshot (widget, name))

static DensitoApplication *app;

static gboolean
loaded (DensitoWindow *window)
{
  return !densito_window_is_loading (window) && densito_window_get_selected_id (window) != NULL;
}

static gboolean
find_text (GtkWidget  *root,
           const char *fragment)
{
  for (GtkWidget *c = gtk_widget_get_first_child (root); c; c = gtk_widget_get_next_sibling (c))
    {
      if (GTK_IS_LABEL (c) && gtk_widget_get_mapped (c) &&
          strstr (gtk_label_get_text (GTK_LABEL (c)), fragment) != NULL)
        return TRUE;
      if (find_text (c, fragment))
        return TRUE;
    }
  return FALSE;
}

/* Which digits @text uses: bit 0 Latin (0-9), bit 1 Persian (U+06F0 to
 * U+06F9), bit 2 Arabic-Indic (U+0660 to U+0669). */
static guint
digit_kinds (const char *text)
{
  guint kinds = 0;

  for (const char *p = text; p != NULL && *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c >= '0' && c <= '9')
        kinds |= 1;
      else if (c >= 0x06F0 && c <= 0x06F9)
        kinds |= 2;
      else if (c >= 0x0660 && c <= 0x0669)
        kinds |= 4;
    }
  return kinds;
}

/* Persian numbers follow one rule (see po/fa.po's header): counts in prose
 * ("۴۸ بیمار", "۰ از ۵۳ تصویر") take the locale's own digits through
 * glibc's I flag; measured values, dates, IDs and file names (T-scores,
 * BMD, weight, 06-2022, 10000-2.png) stay as the table, the scanner's
 * burned-in text and the query language write them, in Latin digits.
 * So no shown text mixes the two, unless it quotes a file name or an ID
 * from the table, and none uses the Arabic-Indic digits of Arabic. Texts
 * that break the rule go to @mixed; returns how many texts have digits. */
static guint
check_digits (GtkWidget  *parent,
              const char *quoted,
              GString    *mixed)
{
  guint n = 0;

  for (GtkWidget *c = gtk_widget_get_first_child (parent); c; c = gtk_widget_get_next_sibling (c))
    {
      const char *text = NULL;
      guint kinds;

      if (!gtk_widget_get_mapped (c))
        continue;
      if (GTK_IS_LABEL (c))
        text = gtk_label_get_text (GTK_LABEL (c));
      else if (DENSITO_IS_CELL (c))
        text = densito_cell_get_text (DENSITO_CELL (c));
      kinds = digit_kinds (text);
      if (kinds != 0)
        n++;
      if ((kinds & 4) || ((kinds & 3) == 3 && (quoted == NULL || strstr (text, quoted) == NULL) &&
                          strstr (text, ".png") == NULL && strstr (text, ".csv") == NULL))
        g_string_append_printf (mixed, "\n  “%s”", text);
      n += check_digits (c, quoted, mixed);
    }
  return n;
}

/* What the window says about its patients, for the log when a check fails. */
static void
log_labels (GtkWidget  *root,
            const char *fragment)
{
  for (GtkWidget *c = gtk_widget_get_first_child (root); c; c = gtk_widget_get_next_sibling (c))
    {
      if (GTK_IS_LABEL (c) && gtk_widget_get_mapped (c) &&
          strstr (gtk_label_get_text (GTK_LABEL (c)), fragment) != NULL)
        g_test_message ("label: “%s”", gtk_label_get_text (GTK_LABEL (c)));
      log_labels (c, fragment);
    }
}

static const char *
describe (GtkWidget *w)
{
  static char buf[256];
  const char *text = NULL;

  if (GTK_IS_LABEL (w))
    text = gtk_label_get_text (GTK_LABEL (w));
  else if (GTK_IS_BUTTON (w))
    text = gtk_button_get_label (GTK_BUTTON (w));
  if (text == NULL)
    text = gtk_widget_get_tooltip_text (w);
  g_snprintf (buf, sizeof buf, "%s.%s “%s”", G_OBJECT_TYPE_NAME (w),
              gtk_widget_get_css_classes (w)[0] ? gtk_widget_get_css_classes (w)[0] : "",
              text ? text : "");
  return buf;
}

/* Everything mapped is allocated at least its minimum width and lies inside
 * the window; the content of scrolled windows may scroll out of view. */
static void
check_fit (GtkWidget *root,
           GtkWidget *parent,
           GString   *clipped,
           GString   *ellipsized)
{
  for (GtkWidget *c = gtk_widget_get_first_child (parent); c; c = gtk_widget_get_next_sibling (c))
    {
      int min = 0;
      graphene_rect_t b;

      /* The window buttons are GTK's own and drawn by the theme. */
      if (!gtk_widget_get_mapped (c) || !gtk_widget_get_child_visible (c) || GTK_IS_WINDOW_CONTROLS (c))
        continue;
      gtk_widget_measure (c, GTK_ORIENTATION_HORIZONTAL, -1, &min, NULL, NULL, NULL);
      /* The measure counts margins, borders and padding; the width is the content's. */
      G_GNUC_BEGIN_IGNORE_DEPRECATIONS
      {
        GtkStyleContext *style = gtk_widget_get_style_context (c);
        GtkBorder padding, border;
        int width;

        gtk_style_context_get_padding (style, &padding);
        gtk_style_context_get_border (style, &border);
        width = gtk_widget_get_width (c) + gtk_widget_get_margin_start (c) + gtk_widget_get_margin_end (c) +
                padding.left + padding.right + border.left + border.right;
        if (width < min)
          g_string_append_printf (clipped, "\n  %s: %d px wide, needs %d", describe (c), width, min);
      }
      G_GNUC_END_IGNORE_DEPRECATIONS
      if (gtk_widget_compute_bounds (c, root, &b) &&
          (b.origin.x < -2 || b.origin.x + b.size.width > gtk_widget_get_width (root) + 2))
        g_string_append_printf (clipped, "\n  %s: at x %.0f to %.0f, outside the window",
                                describe (c), b.origin.x, b.origin.x + b.size.width);
      if (GTK_IS_LABEL (c) && gtk_label_get_ellipsize (GTK_LABEL (c)) != PANGO_ELLIPSIZE_NONE &&
          pango_layout_is_ellipsized (gtk_label_get_layout (GTK_LABEL (c))))
        g_string_append_printf (ellipsized, "\n  %s", describe (c));
      if (GTK_IS_SCROLLED_WINDOW (c) || GTK_IS_VIEWPORT (c))
        continue;
      check_fit (root, c, clipped, ellipsized);
    }
}

/* The descendant of @root with the widget name @name. */
static GtkWidget *
find_named (GtkWidget  *root,
            const char *name)
{
  for (GtkWidget *c = gtk_widget_get_first_child (root); c; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found;

      if (g_strcmp0 (gtk_widget_get_name (c), name) == 0)
        return c;
      if ((found = find_named (c, name)) != NULL)
        return found;
    }
  return NULL;
}

/* A control a user operates with the pointer. */
static gboolean
is_control (GtkWidget *w)
{
  GtkAccessibleRole role = gtk_accessible_get_accessible_role (GTK_ACCESSIBLE (w));

  /* A menu's items are GTK's private model buttons. */
  if (role == GTK_ACCESSIBLE_ROLE_MENU_ITEM || role == GTK_ACCESSIBLE_ROLE_MENU_ITEM_CHECKBOX ||
      role == GTK_ACCESSIBLE_ROLE_MENU_ITEM_RADIO)
    return TRUE;
  return GTK_IS_BUTTON (w) || GTK_IS_MENU_BUTTON (w) || GTK_IS_DROP_DOWN (w) || GTK_IS_SCALE (w) ||
         GTK_IS_SEARCH_ENTRY (w) || GTK_IS_ENTRY (w) || GTK_IS_SWITCH (w) || GTK_IS_CHECK_BUTTON (w) ||
         GTK_IS_SPIN_BUTTON (w);
}

/* Every mapped control lies wholly inside the window, and sideways wholly
 * inside each of its ancestors: a control a scrolled window holds out of
 * view, or one its box pushes past its own edge, is listed in @hidden. The
 * patient list's rows scroll by design; its column titles are checked by
 * check_columns(). Returns the number of controls checked. */
static guint
check_controls (GtkWidget *root,
                GtkWidget *parent,
                GString   *hidden)
{
  guint n = 0;

  for (GtkWidget *c = gtk_widget_get_first_child (parent); c; c = gtk_widget_get_next_sibling (c))
    {
      graphene_rect_t b;

      if (!gtk_widget_get_mapped (c) || !gtk_widget_get_child_visible (c) || GTK_IS_WINDOW_CONTROLS (c) ||
          GTK_IS_COLUMN_VIEW (c) || GTK_IS_NATIVE (c))
        continue;
      if (!is_control (c))
        {
          n += check_controls (root, c, hidden);
          continue;
        }
      n++;
      if (!gtk_widget_compute_bounds (c, root, &b))
        {
          g_string_append_printf (hidden, "\n  %s: no bounds", describe (c));
          continue;
        }
      if (b.origin.x < -0.5 || b.origin.y < -0.5 ||
          b.origin.x + b.size.width > gtk_widget_get_width (root) + 0.5 ||
          b.origin.y + b.size.height > gtk_widget_get_height (root) + 0.5)
        {
          g_string_append_printf (hidden, "\n  %s: at %.0f,%.0f %.0fx%.0f, outside the %dx%d window", describe (c),
                                  b.origin.x, b.origin.y, b.size.width, b.size.height,
                                  gtk_widget_get_width (root), gtk_widget_get_height (root));
          continue;
        }
      for (GtkWidget *a = parent; a != NULL && a != root; a = gtk_widget_get_parent (a))
        {
          graphene_rect_t in_a;

          if (gtk_widget_compute_bounds (c, a, &in_a) &&
              (in_a.origin.x < -0.5 || in_a.origin.x + in_a.size.width > gtk_widget_get_width (a) + 0.5))
            {
              g_string_append_printf (hidden, "\n  %s: at x %.0f to %.0f of its %s, %d px wide%s", describe (c),
                                      in_a.origin.x, in_a.origin.x + in_a.size.width, G_OBJECT_TYPE_NAME (a),
                                      gtk_widget_get_width (a),
                                      GTK_IS_SCROLLED_WINDOW (a) ? " (scrolled out of view)" : "");
              break;
            }
        }
    }
  return n;
}

/* The list's visible columns all fit its width: no sideways scrolling to
 * reach one. Returns the number of visible columns. */
static guint
check_columns (GtkWidget *list,
               GString   *hidden)
{
  GtkWidget *scroller = gtk_widget_get_ancestor (list, GTK_TYPE_SCROLLED_WINDOW);
  GtkWidget *header = gtk_widget_get_first_child (list);
  guint n = 0;

  g_assert_nonnull (scroller);
  for (GtkWidget *title = gtk_widget_get_first_child (header); title; title = gtk_widget_get_next_sibling (title))
    {
      graphene_rect_t b;
      GtkWidget *label = find_widget (title, GTK_TYPE_LABEL);

      if (!gtk_widget_get_mapped (title) || !gtk_widget_compute_bounds (title, scroller, &b))
        continue;
      n++;
      if (b.origin.x < -0.5 || b.origin.x + b.size.width > gtk_widget_get_width (scroller) + 0.5)
        g_string_append_printf (hidden, "\n  column “%s”: at x %.0f to %.0f of the list, %d px wide",
                                label ? gtk_label_get_text (GTK_LABEL (label)) : "?",
                                b.origin.x, b.origin.x + b.size.width, gtk_widget_get_width (scroller));
    }
  return n;
}

static gboolean
has_text_content (GtkWidget *w)
{
  if (GTK_IS_BUTTON (w) && gtk_button_get_label (GTK_BUTTON (w)) != NULL)
    return TRUE;
  if (GTK_IS_CHECK_BUTTON (w) && gtk_check_button_get_label (GTK_CHECK_BUTTON (w)) != NULL)
    return TRUE;
  if (GTK_IS_MENU_BUTTON (w) && gtk_menu_button_get_label (GTK_MENU_BUTTON (w)) != NULL)
    return TRUE;
  /* A button whose child is (or holds) a label reads that label. */
  if (GTK_IS_BUTTON (w) || GTK_IS_MENU_BUTTON (w))
    {
      GtkWidget *label = find_widget (w, GTK_TYPE_LABEL);
      return label != NULL && *gtk_label_get_text (GTK_LABEL (label)) != '\0';
    }
  return FALSE;
}

/* Controls a user operates must carry a name for a screen reader: their own
 * text, an accessible label, or (not for buttons) a labelled-by relation. */
static void
check_names (GtkWidget *parent,
             GString   *unnamed,
             guint     *n_controls)
{
  for (GtkWidget *c = gtk_widget_get_first_child (parent); c; c = gtk_widget_get_next_sibling (c))
    {
      GtkAccessibleRole role;
      gboolean control;

      if (!gtk_widget_get_mapped (c))
        continue;
      role = gtk_accessible_get_accessible_role (GTK_ACCESSIBLE (c));
      control = role == GTK_ACCESSIBLE_ROLE_BUTTON ||
                role == GTK_ACCESSIBLE_ROLE_CHECKBOX || role == GTK_ACCESSIBLE_ROLE_SWITCH ||
                role == GTK_ACCESSIBLE_ROLE_TEXT_BOX || role == GTK_ACCESSIBLE_ROLE_SEARCH_BOX ||
                role == GTK_ACCESSIBLE_ROLE_SLIDER || role == GTK_ACCESSIBLE_ROLE_SPIN_BUTTON ||
                role == GTK_ACCESSIBLE_ROLE_COMBO_BOX;
      /* The column view's own header buttons and list rows are GTK's. */
      if (GTK_IS_COLUMN_VIEW (c) || GTK_IS_LIST_VIEW (c))
        continue;
      if (control)
        {
          (*n_controls)++;
          /* A labelled-by relation names a switch or an entry; not a button,
           * which has one to its own child even when that is a bare icon. */
          if (!has_text_content (c) &&
              !gtk_test_accessible_has_property (GTK_ACCESSIBLE (c), GTK_ACCESSIBLE_PROPERTY_LABEL) &&
              (role == GTK_ACCESSIBLE_ROLE_BUTTON ||
               !gtk_test_accessible_has_relation (GTK_ACCESSIBLE (c), GTK_ACCESSIBLE_RELATION_LABELLED_BY)))
            g_string_append_printf (unnamed, "\n  %s", describe (c));
          /* A button's or entry's insides are not separate controls. */
          if (role != GTK_ACCESSIBLE_ROLE_COMBO_BOX)
            continue;
        }
      check_names (c, unnamed, n_controls);
    }
}

/* The widgets whose minimum width adds up to the window's, for the log. */
static void
log_min_widths (GtkWidget *parent,
                int        depth)
{
  for (GtkWidget *c = gtk_widget_get_first_child (parent); c; c = gtk_widget_get_next_sibling (c))
    {
      int min = 0;

      if (!gtk_widget_get_mapped (c))
        continue;
      gtk_widget_measure (c, GTK_ORIENTATION_HORIZONTAL, -1, &min, NULL, NULL, NULL);
      if (min >= 150 && depth < 8)
        {
          g_test_message ("%*s%s: at least %d px", depth * 2, "", describe (c), min);
          log_min_widths (c, depth + 1);
        }
    }
}

static DensitoWindow *
open_sample (void)
{
  const char *sample = g_getenv ("DENSITO_SAMPLE");
  DensitoWindow *window;
  gint64 end;

  g_assert_nonnull (sample);
  window = densito_window_new (app);
  gtk_window_set_default_size (GTK_WINDOW (window), 1280, 800);
  gtk_window_present (GTK_WINDOW (window));
  densito_window_open_path (window, sample);
  end = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  while (!loaded (window) && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE);
  g_assert_true (loaded (window));
  /* Wider than the default when the window needs it (/locale/default-width
   * reports that), so that what is checked is the layout, not a squeeze. */
  {
    int min = 0;

    gtk_widget_measure (gtk_window_get_child (GTK_WINDOW (window)), GTK_ORIENTATION_HORIZONTAL, -1,
                        &min, NULL, NULL, NULL);
    if (min > 1280)
      gtk_window_set_default_size (GTK_WINDOW (window), min, 800);
  }
  spin (1500);
  return window;
}

static void
test_window (void)
{
  const char *tag = g_getenv ("DENSITO_TEST_TAG");
  const char *lang = g_getenv ("LANGUAGE");
  DensitoWindow *window = open_sample ();
  GtkWidget *list, *scan, *entry;
  graphene_rect_t list_b, scan_b;
  g_autoptr(GString) clipped = g_string_new (NULL);
  g_autoptr(GString) ellipsized = g_string_new (NULL);
  g_autofree char *shot = g_strdup_printf ("window-%s.png", tag ? tag : "locale");
  gboolean rtl = lang != NULL && g_str_has_prefix (lang, "fa");

  /* The translation is the one asked for, with the locale's digits. */
  log_labels (GTK_WIDGET (window), "48");
  log_labels (GTK_WIDGET (window), "۴۸");
  if (lang != NULL && g_str_has_prefix (lang, "fa"))
    {
      g_autoptr(GString) mixed = g_string_new (NULL);
      guint n = check_digits (GTK_WIDGET (window), densito_window_get_selected_id (window), mixed);

      g_assert_true (find_text (GTK_WIDGET (window), "۴۸ بیمار"));
      /* The T-scores and the BMD as in the table. */
      g_assert_true (find_text (GTK_WIDGET (window), "0.890"));
      g_test_message ("%u texts with digits", n);
      if (mixed->len > 0)
        g_test_fail_printf ("texts that mix Persian and Latin digits:%s", mixed->str);
    }
  else if (lang != NULL && g_str_has_prefix (lang, "de"))
    g_assert_true (find_text (GTK_WIDGET (window), "48 Patienten"));
  else
    g_assert_true (find_text (GTK_WIDGET (window), "48 patients"));

  /* Persian mirrors: the list sits right of the scan, text starts at the right. */
  g_assert_cmpint (gtk_widget_get_default_direction (), ==, rtl ? GTK_TEXT_DIR_RTL : GTK_TEXT_DIR_LTR);
  list = find_widget (GTK_WIDGET (window), GTK_TYPE_COLUMN_VIEW);
  scan = find_widget (GTK_WIDGET (window), DENSITO_TYPE_SCAN_VIEW);
  entry = find_widget (GTK_WIDGET (window), GTK_TYPE_SEARCH_ENTRY);
  g_assert_nonnull (list);
  g_assert_nonnull (scan);
  g_assert_nonnull (entry);
  g_assert_true (gtk_widget_compute_bounds (list, GTK_WIDGET (window), &list_b));
  g_assert_true (gtk_widget_compute_bounds (scan, GTK_WIDGET (window), &scan_b));
  if (rtl)
    g_assert_cmpfloat (list_b.origin.x, >=, scan_b.origin.x + scan_b.size.width - 1);
  else
    g_assert_cmpfloat (list_b.origin.x + list_b.size.width, <=, scan_b.origin.x + 1);
  g_assert_cmpint (gtk_widget_get_direction (entry), ==, rtl ? GTK_TEXT_DIR_RTL : GTK_TEXT_DIR_LTR);
  /* The first column (ID) is in view, at the list's start edge. */
  {
    GtkWidget *scroller = gtk_widget_get_ancestor (list, GTK_TYPE_SCROLLED_WINDOW);
    GtkWidget *id_title = gtk_widget_get_first_child (gtk_widget_get_first_child (list));
    graphene_rect_t id_b;

    g_assert_nonnull (scroller);
    g_assert_nonnull (id_title);
    g_assert_true (gtk_widget_compute_bounds (id_title, scroller, &id_b));
    g_test_message ("ID column header at x %.0f to %.0f of %d",
                    id_b.origin.x, id_b.origin.x + id_b.size.width, gtk_widget_get_width (scroller));
    g_assert_cmpfloat (id_b.origin.x, >=, -1);
    g_assert_cmpfloat (id_b.origin.x + id_b.size.width, <=, gtk_widget_get_width (scroller) + 1);
  }

  save_screenshot (GTK_WIDGET (window), shot);
  /* For the log: how wide each pane is and needs to be. */
  {
    GtkPaned *outer = GTK_PANED (gtk_widget_get_ancestor (list, GTK_TYPE_PANED));
    GtkPaned *inner = GTK_PANED (gtk_widget_get_ancestor (scan, GTK_TYPE_PANED));
    GtkWidget *panes[3] = { gtk_paned_get_start_child (outer), gtk_paned_get_start_child (inner),
                            gtk_paned_get_end_child (inner) };
    const char *names[3] = { "list", "scan", "details" };

    for (guint i = 0; i < G_N_ELEMENTS (panes); i++)
      {
        int min = 0, nat = 0;

        gtk_widget_measure (panes[i], GTK_ORIENTATION_HORIZONTAL, -1, &min, &nat, NULL, NULL);
        g_test_message ("%s pane: %d px wide, needs %d, would like %d", names[i],
                        gtk_widget_get_width (panes[i]), min, nat);
      }
  }

  /* A window narrower than its minimum (the X server keeps it on a small
   * screen) clips by force; /locale/default-width reports that case. */
  {
    GtkWidget *content = gtk_window_get_child (GTK_WINDOW (window));
    int min = 0;

    gtk_widget_measure (content, GTK_ORIENTATION_HORIZONTAL, -1, &min, NULL, NULL, NULL);
    if (gtk_widget_get_width (content) < min)
      g_test_message ("the window's content is %d px wide, less than its minimum %d: not checking for clipping",
                      gtk_widget_get_width (content), min);
    else
      {
        GtkWidget *header = gtk_widget_get_first_child (list);

        guint n_controls, n_columns;

        check_fit (GTK_WIDGET (window), GTK_WIDGET (window), clipped, ellipsized);
        /* At 1280x800 every control is wholly in view, none scrolled
         * sideways out of it, and so is every column the list shows. */
        n_controls = check_controls (GTK_WIDGET (window), GTK_WIDGET (window), clipped);
        n_columns = check_columns (list, clipped);
        g_test_message ("%u controls and %u list columns in view, window %dx%d", n_controls, n_columns,
                        gtk_widget_get_width (GTK_WIDGET (window)), gtk_widget_get_height (GTK_WIDGET (window)));
        g_assert_cmpuint (n_controls, >=, 20);
        g_assert_cmpuint (n_columns, >=, 5);
        /* The list's column titles too, inside its scrolled window. */
        for (GtkWidget *title = gtk_widget_get_first_child (header); title;
             title = gtk_widget_get_next_sibling (title))
          {
            GtkWidget *label = find_widget (title, GTK_TYPE_LABEL);
            graphene_rect_t lb, tb;

            /* The title's label must lie within the title's box (padding
             * included), or its text is cut. */
            if (label == NULL || !gtk_widget_compute_bounds (label, title, &lb) ||
                !gtk_widget_compute_bounds (title, title, &tb))
              continue;
            if (lb.origin.x < tb.origin.x - 0.5 || lb.origin.x + lb.size.width > tb.origin.x + tb.size.width + 0.5)
              g_string_append_printf (clipped, "\n  column title %s: at x %.0f to %.0f, the title %.0f to %.0f",
                                      describe (label), lb.origin.x, lb.origin.x + lb.size.width,
                                      tb.origin.x, tb.origin.x + tb.size.width);
          }
      }
  }
  if (ellipsized->len > 0)
    g_test_message ("ellipsized labels:%s", ellipsized->str);
  /* The Adjust Image popover and the Columns menu, open, fit too. */
  {
    GtkWidget *buttons[2] = { find_named (GTK_WIDGET (window), "adjust-image"),
                              find_named (GTK_WIDGET (window), "columns-button") };
    const char *names[2] = { "adjust", "columns" };

    for (guint i = 0; i < G_N_ELEMENTS (buttons); i++)
      {
        g_autofree char *name = g_strdup_printf ("window-%s-%s.png", names[i], tag ? tag : "locale");
        GtkPopover *popover;

        g_assert_nonnull (buttons[i]);
        gtk_menu_button_popup (GTK_MENU_BUTTON (buttons[i]));
        spin (400);
        popover = gtk_menu_button_get_popover (GTK_MENU_BUTTON (buttons[i]));
        g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (popover)));
        save_screenshot (GTK_WIDGET (popover), name);
        g_assert_cmpuint (check_controls (GTK_WIDGET (popover), GTK_WIDGET (popover), clipped), >=, 1);
        gtk_menu_button_popdown (GTK_MENU_BUTTON (buttons[i]));
        spin (200);
      }
  }
  /* The export dialog and the problems window, in the same language. */
  {
    DensitoDataset *dataset = densito_window_get_dataset (window);
    GtkWidget *dialogs[2];
    const char *names[2] = { "export", "problems" };

    dialogs[0] = densito_export_dialog_new (GTK_WINDOW (window), dataset, "sex=F class=osteoporosis");
    dialogs[1] = densito_problems_window_new (GTK_WINDOW (window), densito_dataset_get_diagnostics (dataset), NULL);
    for (guint i = 0; i < G_N_ELEMENTS (dialogs); i++)
      {
        g_autofree char *name = g_strdup_printf ("%s-%s.png", names[i], tag ? tag : "locale");

        gtk_window_present (GTK_WINDOW (dialogs[i]));
        spin (800);
        g_assert_cmpint (gtk_widget_get_direction (dialogs[i]), ==, rtl ? GTK_TEXT_DIR_RTL : GTK_TEXT_DIR_LTR);
        save_screenshot (dialogs[i], name);
        check_fit (dialogs[i], dialogs[i], clipped, ellipsized);
        gtk_window_destroy (GTK_WINDOW (dialogs[i]));
        spin (100);
      }
  }

  if (ellipsized->len > 0)
    g_test_message ("ellipsized labels (dialogs):%s", ellipsized->str);
  if (clipped->len > 0)
    {
      g_test_message ("clipped:%s", clipped->str);
      g_test_fail ();
    }

  gtk_window_destroy (GTK_WINDOW (window));
  spin (100);
}

/* The window fits its own default width (the settings schema's 1280 px), so
 * that it opens unclipped on a common laptop screen. */
static void
test_default_width (void)
{
  DensitoWindow *window = open_sample ();
  int min = 0;

  gtk_widget_measure (gtk_window_get_child (GTK_WINDOW (window)), GTK_ORIENTATION_HORIZONTAL, -1,
                      &min, NULL, NULL, NULL);
  g_test_message ("minimum window width: %d px", min);
  if (min > 1280)
    {
      log_min_widths (GTK_WIDGET (window), 0);
      g_test_fail_printf ("the window needs at least %d px, more than its default 1280 px", min);
    }
  gtk_window_destroy (GTK_WINDOW (window));
  spin (100);
}

static void
test_names (void)
{
  DensitoWindow *window = open_sample ();
  g_autoptr(GString) unnamed = g_string_new (NULL);
  guint n_controls = 0;

  check_names (GTK_WIDGET (window), unnamed, &n_controls);
  g_test_message ("%u controls in the window", n_controls);
  g_assert_cmpuint (n_controls, >=, 10);

  /* The export dialog and the problems window, as the window opens them. */
  {
    DensitoDataset *dataset = densito_window_get_dataset (window);
    GtkWidget *dialogs[2];
    guint n_before = n_controls;

    dialogs[0] = densito_export_dialog_new (GTK_WINDOW (window), dataset, "sex=F");
    dialogs[1] = densito_problems_window_new (GTK_WINDOW (window), densito_dataset_get_diagnostics (dataset), NULL);
    for (guint i = 0; i < G_N_ELEMENTS (dialogs); i++)
      {
        gtk_window_present (GTK_WINDOW (dialogs[i]));
        spin (500);
        check_names (dialogs[i], unnamed, &n_controls);
        gtk_window_destroy (GTK_WINDOW (dialogs[i]));
        spin (100);
      }
    g_test_message ("%u controls in the export dialog and the problems window", n_controls - n_before);
    g_assert_cmpuint (n_controls, >, n_before);
  }
  if (unnamed->len > 0)
    {
      g_test_message ("controls without an accessible name:%s", unnamed->str);
      g_test_fail ();
    }
  gtk_window_destroy (GTK_WINDOW (window));
  spin (100);
}

/* Tab from the filter entry walks the window in reading order: the list
 * pane (filters, then the list), the scan and its tools, then the details. */
static void
test_focus_order (void)
{
  DensitoWindow *window = open_sample ();
  GtkWidget *list = find_widget (GTK_WIDGET (window), GTK_TYPE_COLUMN_VIEW);
  GtkWidget *entry = find_widget (GTK_WIDGET (window), GTK_TYPE_SEARCH_ENTRY);
  GtkWidget *scan = find_widget (GTK_WIDGET (window), DENSITO_TYPE_SCAN_VIEW);
  GtkPaned *outer = GTK_PANED (gtk_widget_get_ancestor (list, GTK_TYPE_PANED));
  GtkPaned *inner = GTK_PANED (gtk_widget_get_ancestor (scan, GTK_TYPE_PANED));
  GtkWidget *panes[3];
  int first_visit[3] = { -1, -1, -1 };
  gboolean reached_list = FALSE;
  g_autoptr(GString) path = g_string_new (NULL);

  g_assert_nonnull (outer);
  g_assert_nonnull (inner);
  g_assert_true (inner != outer);
  panes[0] = gtk_paned_get_start_child (outer);
  panes[1] = gtk_paned_get_start_child (inner);
  panes[2] = gtk_paned_get_end_child (inner);
  g_assert_true (gtk_widget_grab_focus (entry));
  for (int step = 0; step < 80; step++)
    {
      GtkWidget *focus;

      focus = gtk_root_get_focus (GTK_ROOT (window));
      if (focus != NULL && gtk_widget_is_ancestor (focus, list))
        {
          /* A Tab key press in the list, through its key controllers as
           * GTK's capture phase would run them. */
          g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (list);
          gboolean handled = FALSE;

          for (guint i = 0; i < g_list_model_get_n_items (controllers) && !handled; i++)
            {
              g_autoptr(GtkEventController) c = g_list_model_get_item (controllers, i);

              if (GTK_IS_EVENT_CONTROLLER_KEY (c) &&
                  gtk_event_controller_get_propagation_phase (c) == GTK_PHASE_CAPTURE)
                g_signal_emit_by_name (c, "key-pressed", GDK_KEY_Tab, 0, (GdkModifierType)0, &handled);
            }
          if (!handled && !gtk_widget_child_focus (GTK_WIDGET (window), GTK_DIR_TAB_FORWARD))
            break;
        }
      else if (!gtk_widget_child_focus (GTK_WIDGET (window), GTK_DIR_TAB_FORWARD))
        break;
      focus = gtk_root_get_focus (GTK_ROOT (window));
      if (focus == NULL)
        continue;
      if (focus == list || gtk_widget_is_ancestor (focus, list))
        reached_list = TRUE;
      for (int p = 0; p < 3; p++)
        if (first_visit[p] < 0 && (focus == panes[p] || gtk_widget_is_ancestor (focus, panes[p])))
          {
            first_visit[p] = step;
            g_string_append_printf (path, " pane %d at step %d (%s);", p, step, describe (focus));
          }
    }
  g_test_message ("first visits:%s", path->str);
  g_assert_true (reached_list);
  /* The list pane is where Tab starts; the scan pane and the details come
   * after, and the list is one stop, not one per row. */
  g_assert_cmpint (first_visit[1], >=, 0);
  g_assert_cmpint (first_visit[1], <=, 10);
  g_assert_cmpint (first_visit[2], >=, 0);
  g_assert_cmpint (first_visit[1], <, first_visit[2]);
  gtk_window_destroy (GTK_WINDOW (window));
  spin (100);
}

/* The Columns menu shows and hides list columns in their place and
 * remembers them; "Adjust Image" stands out while the image is adjusted. */
static void
test_columns_and_adjust (void)
{
  DensitoWindow *window = open_sample ();
  GtkColumnView *list = GTK_COLUMN_VIEW (find_widget (GTK_WIDGET (window), GTK_TYPE_COLUMN_VIEW));
  GListModel *columns = gtk_column_view_get_columns (list);
  GtkWidget *adjust = find_named (GTK_WIDGET (window), "adjust-image");
  DensitoScanView *scan = DENSITO_SCAN_VIEW (find_widget (GTK_WIDGET (window), DENSITO_TYPE_SCAN_VIEW));
  g_autoptr(GSettings) settings = g_settings_new ("io.github.densito.Densito");
  g_auto(GStrv) shown = NULL;
  guint n = g_list_model_get_n_items (columns);

  /* By default: ID, sex, age, the three T-scores and the class. */
  g_assert_cmpuint (n, ==, 7);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.column-label", NULL);
  g_assert_cmpuint (g_list_model_get_n_items (columns), ==, n + 1);
  {
    g_autoptr(GtkColumnViewColumn) c = g_list_model_get_item (columns, 7);

    g_assert_cmpstr (gtk_column_view_column_get_title (c), ==, "Dataset label");
  }
  gtk_widget_activate_action (GTK_WIDGET (window), "win.column-age", NULL);
  g_assert_cmpuint (g_list_model_get_n_items (columns), ==, n);
  {
    g_autoptr(GtkColumnViewColumn) c = g_list_model_get_item (columns, 2);

    g_assert_cmpstr (gtk_column_view_column_get_title (c), ==, "Spine T");
  }
  shown = g_settings_get_strv (settings, "list-columns");
  g_assert_false (g_strv_contains ((const char * const *)shown, "age"));
  g_assert_true (g_strv_contains ((const char * const *)shown, "label"));
  /* Back in its place, between sex and spine. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.column-age", NULL);
  {
    g_autoptr(GtkColumnViewColumn) c = g_list_model_get_item (columns, 2);

    g_assert_cmpstr (gtk_column_view_column_get_title (c), ==, "Age");
  }
  gtk_widget_activate_action (GTK_WIDGET (window), "win.column-label", NULL);
  g_assert_cmpuint (g_list_model_get_n_items (columns), ==, n);
  g_settings_reset (settings, "list-columns");

  /* Sorted by any column, its title shows the sort arrow inside it (GTK
   * 4.8 pushes the arrow out of a title too narrow for it, left to right,
   * and over the text's start right to left). */
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GtkColumnViewColumn) c = g_list_model_get_item (columns, i);
      GtkWidget *header = NULL;
      GtkWidget *title;
      GtkWidget *arrow = NULL;
      graphene_rect_t bounds;

      gtk_column_view_sort_by_column (list, c, GTK_SORT_DESCENDING);
      spin (150);
      for (GtkWidget *w = gtk_widget_get_first_child (GTK_WIDGET (list)); w; w = gtk_widget_get_next_sibling (w))
        if (g_str_equal (gtk_widget_get_css_name (w), "header"))
          header = w;
      g_assert_nonnull (header);
      /* the title with this column's text */
      for (title = gtk_widget_get_first_child (header); title && arrow == NULL; title = gtk_widget_get_next_sibling (title))
        {
          GtkWidget *text = NULL, *indicator = NULL;

          for (GtkWidget *w = gtk_widget_get_first_child (gtk_widget_get_first_child (title)); w; w = gtk_widget_get_next_sibling (w))
            if (GTK_IS_LABEL (w))
              text = w;
            else if (g_str_equal (gtk_widget_get_css_name (w), "sort-indicator"))
              indicator = w;
          if (text && g_str_equal (gtk_label_get_text (GTK_LABEL (text)), gtk_column_view_column_get_title (c)))
            {
              arrow = indicator;
              break;
            }
        }
      g_assert_nonnull (arrow);
      g_assert_true (gtk_widget_compute_bounds (arrow, title, &bounds));
      g_test_message ("column %s: arrow at %.0f+%.0f in a title %d px wide", gtk_column_view_column_get_title (c),
                      bounds.origin.x, bounds.size.width, gtk_widget_get_width (title));
      g_assert_cmpfloat (bounds.size.width, >, 0);
      g_assert_cmpfloat (bounds.origin.x, >=, 0);
      g_assert_cmpfloat (bounds.origin.x + bounds.size.width, <=, gtk_widget_get_width (title));
    }
  gtk_column_view_sort_by_column (list, NULL, GTK_SORT_ASCENDING);

  g_assert_nonnull (adjust);
  g_assert_false (gtk_widget_has_css_class (adjust, "image-adjusted"));
  g_object_set (scan, "brightness", 0.3, NULL);
  g_assert_true (gtk_widget_has_css_class (adjust, "image-adjusted"));
  spin (200);
  save_screenshot (GTK_WIDGET (window), "window-adjusted.png");
  densito_scan_view_reset_adjustments (scan);
  g_assert_false (gtk_widget_has_css_class (adjust, "image-adjusted"));
  g_object_set (scan, "invert", TRUE, NULL);
  g_assert_true (gtk_widget_has_css_class (adjust, "image-adjusted"));
  densito_scan_view_reset_adjustments (scan);
  g_assert_false (gtk_widget_has_css_class (adjust, "image-adjusted"));

  gtk_window_destroy (GTK_WINDOW (window));
  spin (100);
}

int
main (int    argc,
      char **argv)
{
  const char *localedir = g_getenv ("DENSITO_LOCALEDIR");
  const char *lang = g_getenv ("LANGUAGE");
  int ret;

  /* LANGUAGE is ignored under the C locale: the test needs the real one. */
  if (setlocale (LC_ALL, "") == NULL)
    {
      g_printerr ("test-locale: the locale %s is not available; generate it with\n"
                  "  localedef -i %.5s -f UTF-8 %s (or build-aux/dev test)\n",
                  g_getenv ("LC_ALL"), g_getenv ("LC_ALL"), g_getenv ("LC_ALL"));
      return 1;
    }
  g_assert_nonnull (localedir);
  bindtextdomain (GETTEXT_PACKAGE, localedir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  gtk_test_init (&argc, &argv, NULL);
  /* gtk_test_init() switches to en_US.UTF-8; the app runs in the user's locale. */
  setlocale (LC_ALL, "");
  app = densito_application_new ();
  g_application_register (G_APPLICATION (app), NULL, NULL);

  g_test_add_func ("/locale/window", test_window);
  if (lang == NULL || g_str_has_prefix (lang, "en"))
    {
      g_test_add_func ("/locale/accessible-names", test_names);
      g_test_add_func ("/locale/focus-order", test_focus_order);
      g_test_add_func ("/locale/columns-and-adjust", test_columns_and_adjust);
    }
  g_test_add_func ("/locale/default-width", test_default_width);

  ret = g_test_run ();
  g_clear_object (&app);
  return ret;
}
