/* densito-problems-window.c
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every problem found in a dataset: file, line, column, value, message.
 */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "densito-problem-list.h"
#include "densito-problems-window.h"

struct _DensitoProblemsWindow
{
  GtkWindow      parent_instance;
  GtkColumnView *column_view;
  GtkLabel      *summary_label;
  char          *folder;   /* the dataset's: files are named from it */
};

G_DEFINE_FINAL_TYPE (DensitoProblemsWindow, densito_problems_window, GTK_TYPE_WINDOW)

typedef enum
{
  FIELD_FILE,
  FIELD_LINE,
  FIELD_COLUMN,
  FIELD_VALUE,
  FIELD_MESSAGE,
  N_FIELDS
} Field;

static Field
factory_field (GtkSignalListItemFactory *factory)
{
  return GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (factory), "densito-field"));
}

static void
setup_cb (GtkSignalListItemFactory *factory,
          GtkListItem              *item,
          gpointer                  data)
{
  Field field = factory_field (factory);
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), field == FIELD_LINE ? 1.0f : 0.0f);

  if (field == FIELD_MESSAGE)
    {
      gtk_label_set_wrap (GTK_LABEL (label), TRUE);
      gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
    }
  else
    gtk_label_set_ellipsize (GTK_LABEL (label), field == FIELD_FILE ? PANGO_ELLIPSIZE_START : PANGO_ELLIPSIZE_END);
  if (field == FIELD_LINE)
    gtk_widget_add_css_class (label, "numeric");
  gtk_list_item_set_child (item, label);
}

static void
bind_cb (GtkSignalListItemFactory *factory,
         GtkListItem              *item,
         DensitoProblemsWindow    *self)
{
  Field field = factory_field (factory);
  const DensitoDiagnostic *d = densito_problem_get_diagnostic (gtk_list_item_get_item (item));
  GtkLabel *label = GTK_LABEL (gtk_list_item_get_child (item));
  g_autofree char *text = NULL;

  switch (field)
    {
    case FIELD_FILE:
      {
        const char *shown = d->file ? d->file : "";
        gsize n = self->folder ? strlen (self->folder) : 0;

        /* osteo.csv, imge/10001-1.png; the whole path on hover */
        if (n > 0 && strncmp (shown, self->folder, n) == 0 && shown[n] == G_DIR_SEPARATOR)
          shown += n + 1;
        gtk_label_set_text (label, shown);
        gtk_widget_set_tooltip_text (GTK_WIDGET (label), d->file);
      }
      break;
    case FIELD_LINE:
      text = d->row ? g_strdup_printf ("%u", d->row) : g_strdup ("");
      gtk_label_set_text (label, text);
      break;
    case FIELD_COLUMN:
      gtk_label_set_text (label, d->column ? d->column : "");
      break;
    case FIELD_VALUE:
      gtk_label_set_text (label, d->value ? d->value : "");
      break;
    case FIELD_MESSAGE:
    case N_FIELDS:
    default:
      text = densito_diagnostic_dup_message (d);
      gtk_label_set_text (label, text);
      break;
    }
}

static void
densito_problems_window_finalize (GObject *object)
{
  g_free (DENSITO_PROBLEMS_WINDOW (object)->folder);
  G_OBJECT_CLASS (densito_problems_window_parent_class)->finalize (object);
}

static void
densito_problems_window_class_init (DensitoProblemsWindowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = densito_problems_window_finalize;

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/densito/Densito/densito-problems-window.ui");
  gtk_widget_class_bind_template_child (widget_class, DensitoProblemsWindow, column_view);
  gtk_widget_class_bind_template_child (widget_class, DensitoProblemsWindow, summary_label);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
densito_problems_window_init (DensitoProblemsWindow *self)
{
  GListModel *columns;

  gtk_widget_init_template (GTK_WIDGET (self));

  columns = gtk_column_view_get_columns (self->column_view);
  for (guint i = 0; i < N_FIELDS && i < g_list_model_get_n_items (columns); i++)
    {
      g_autoptr(GtkColumnViewColumn) column = g_list_model_get_item (columns, i);
      g_autoptr(GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();

      /* (a cell is bound before it is in the window: the window is
       * passed, not found from the cell) */
      g_object_set_data (G_OBJECT (factory), "densito-field", GUINT_TO_POINTER (i));
      g_signal_connect (factory, "setup", G_CALLBACK (setup_cb), NULL);
      g_signal_connect (factory, "bind", G_CALLBACK (bind_cb), self);
      gtk_column_view_column_set_factory (column, factory);
    }
}

/**
 * densito_problems_window_new:
 * @folder: (nullable): the dataset's folder, from which the files are named
 */
GtkWidget *
densito_problems_window_new (GtkWindow          *parent,
                             DensitoDiagnostics *diagnostics,
                             const char         *folder)
{
  DensitoProblemsWindow *self;
  g_autoptr(DensitoProblemList) list = NULL;
  g_autoptr(GtkNoSelection) selection = NULL;
  g_autofree char *title = NULL;
  guint n;

  g_return_val_if_fail (DENSITO_IS_DIAGNOSTICS (diagnostics), NULL);

  self = g_object_new (DENSITO_TYPE_PROBLEMS_WINDOW, "transient-for", parent, "modal", TRUE, NULL);
  self->folder = folder ? g_strdup (folder) : NULL;
  list = densito_problem_list_new (diagnostics);
  selection = gtk_no_selection_new (G_LIST_MODEL (g_steal_pointer (&list)));
  gtk_column_view_set_model (self->column_view, GTK_SELECTION_MODEL (selection));

  n = densito_diagnostics_get_n (diagnostics);
  title = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%'u Problem", "%'u Problems", n), n);
  gtk_window_set_title (GTK_WINDOW (self), title);
  gtk_label_set_text (self->summary_label,
                      _("The dataset opened anyway. Cells with a problem keep their text as written; "
                        "fix them in the table and open it again."));
  return GTK_WIDGET (self);
}
