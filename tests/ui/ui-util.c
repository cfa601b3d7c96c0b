/* ui-util.c: helpers shared by the UI tests and the GUI benchmarks
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "ui-util.h"

/* Runs the main loop for @ms milliseconds without blocking in it. */
void
ui_spin (guint ms)
{
  gint64 end = g_get_monotonic_time () + (gint64)ms * 1000;

  while (g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE);
}

/* The first descendant of @root (depth first) of @type, with @css_class
 * when it is not %NULL, and mapped when @mapped_only. */
GtkWidget *
ui_find_widget (GtkWidget  *root,
                GType       type,
                const char *css_class,
                gboolean    mapped_only)
{
  for (GtkWidget *c = gtk_widget_get_first_child (root); c; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found;

      if (G_TYPE_CHECK_INSTANCE_TYPE (c, type) &&
          (css_class == NULL || gtk_widget_has_css_class (c, css_class)) &&
          (!mapped_only || gtk_widget_get_mapped (c)))
        return c;
      if ((found = ui_find_widget (c, type, css_class, mapped_only)) != NULL)
        return found;
    }
  return NULL;
}

/* Renders @widget with its own renderer into $DENSITO_SCREENSHOT_DIR/@name.
 * Right after a resize a window may have nothing drawn yet, so it tries
 * again for up to two seconds. Returns FALSE when nothing could be
 * rendered or written; TRUE when saved, or when no folder is set. */
gboolean
ui_save_screenshot (GtkWidget  *widget,
                    const char *name)
{
  const char *dir = g_getenv ("DENSITO_SCREENSHOT_DIR");
  g_autofree char *path = NULL;
  g_autoptr(GdkPaintable) paintable = NULL;
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  GskRenderer *renderer;
  int w = 0, h = 0;

  if (dir == NULL)
    return TRUE;
  g_mkdir_with_parents (dir, 0755);
  path = g_build_filename (dir, name, NULL);
  paintable = gtk_widget_paintable_new (widget);
  for (int tries = 0; node == NULL && tries < 20; tries++)
    {
      GtkSnapshot *snapshot;

      if (tries > 0)
        ui_spin (100);
      w = gtk_widget_get_width (widget);
      h = gtk_widget_get_height (widget);
      snapshot = gtk_snapshot_new ();
      gdk_paintable_snapshot (paintable, snapshot, w, h);
      node = gtk_snapshot_free_to_node (snapshot);
    }
  renderer = gtk_native_get_renderer (gtk_widget_get_native (widget));
  if (node == NULL || renderer == NULL)
    {
      g_test_message ("no screenshot %s: nothing drawn", name);
      return FALSE;
    }
  texture = gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, w, h));
  if (!gdk_texture_save_to_png (texture, path))
    return FALSE;
  g_test_message ("screenshot: %s", path);
  return TRUE;
}

typedef gboolean (*Match) (GtkWidget     *widget,
                           gconstpointer  data);

/* The first widget under @root (depth first) that @match accepts. */
static GtkWidget *
find_matching (GtkWidget     *root,
               Match          match,
               gconstpointer  data)
{
  for (GtkWidget *c = gtk_widget_get_first_child (root); c; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found;

      if (match (c, data))
        return c;
      if ((found = find_matching (c, match, data)) != NULL)
        return found;
    }
  return NULL;
}

static gboolean
activates (GtkWidget     *widget,
           gconstpointer  action)
{
  return GTK_IS_BUTTON (widget) && g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (widget)), action) == 0;
}

static gboolean
says (GtkWidget     *widget,
      gconstpointer  text)
{
  return GTK_IS_LABEL (widget) && g_strcmp0 (gtk_label_get_text (GTK_LABEL (widget)), text) == 0;
}

/* The first button under @root that activates @action. */
GtkWidget *
ui_find_action_button (GtkWidget  *root,
                       const char *action)
{
  return find_matching (root, activates, action);
}

/* The first label under @root whose text is @text. */
GtkWidget *
ui_find_label (GtkWidget  *root,
               const char *text)
{
  return find_matching (root, says, text);
}
