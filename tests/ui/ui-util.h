/* ui-util.h: helpers shared by the UI tests and the GUI benchmarks
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

void       ui_spin            (guint       ms);
GtkWidget *ui_find_widget     (GtkWidget  *root,
                               GType       type,
                               const char *css_class,
                               gboolean    mapped_only);
gboolean   ui_save_screenshot (GtkWidget  *widget,
                               const char *name);
GtkWidget *ui_find_action_button (GtkWidget  *root,
                                  const char *action);
GtkWidget *ui_find_label         (GtkWidget  *root,
                                  const char *text);

G_END_DECLS
