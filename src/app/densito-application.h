/* densito-application.h
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "densito-error.h"

G_BEGIN_DECLS

#define DENSITO_TYPE_APPLICATION (densito_application_get_type ())

G_DECLARE_FINAL_TYPE (DensitoApplication, densito_application, DENSITO, APPLICATION, GtkApplication)

DensitoApplication *densito_application_new           (void);
char               *densito_application_dup_sample_path (void);
gint64              densito_application_get_start_time (void);
void                densito_application_choose_renderer (void);
void                densito_application_choose_software_renderer (void);
GAppLaunchContext  *densito_application_new_launch_context (GdkDisplay   *display);
void                densito_application_launch_uri     (GtkWidget          *widget,
                                                        const char         *uri);
char               *densito_application_dup_default_path (GSettings          *settings);
void                densito_application_preload        (DensitoApplication  *self,
                                                        const char          *path);
void                densito_application_preload_args   (DensitoApplication  *self,
                                                        int                  argc,
                                                        char               **argv);
GCancellable       *densito_application_claim_preload  (DensitoApplication  *self,
                                                        const char          *path,
                                                        DensitoProgressFunc  progress,
                                                        gpointer             progress_data,
                                                        GDestroyNotify       progress_data_destroy,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);

G_END_DECLS
