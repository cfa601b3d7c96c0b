/* densito-scan-view.h
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "densito-edit-stack.h"
#include "densito-sidecar.h"

G_BEGIN_DECLS

/* The zoom range, as a scale from image pixels to widget pixels. */
#define DENSITO_SCAN_VIEW_MIN_ZOOM 0.05
#define DENSITO_SCAN_VIEW_MAX_ZOOM 32.0

#define DENSITO_TYPE_SCAN_VIEW (densito_scan_view_get_type ())

G_DECLARE_FINAL_TYPE (DensitoScanView, densito_scan_view, DENSITO, SCAN_VIEW, GtkWidget)

GtkWidget      *densito_scan_view_new                 (void);

void            densito_scan_view_set_texture         (DensitoScanView *self,
                                                       GdkTexture      *texture);
GdkTexture     *densito_scan_view_get_texture         (DensitoScanView *self);
void            densito_scan_view_set_message         (DensitoScanView *self,
                                                       const char      *title,
                                                       const char      *detail);
const char     *densito_scan_view_get_message_title   (DensitoScanView *self);
void            densito_scan_view_set_rois            (DensitoScanView *self,
                                                       DensitoSidecar  *sidecar);
DensitoSidecar *densito_scan_view_get_rois            (DensitoScanView *self);
void            densito_scan_view_rois_changed        (DensitoScanView *self);
void            densito_scan_view_set_edit_stack      (DensitoScanView  *self,
                                                       DensitoEditStack *stack,
                                                       const char       *region);
DensitoEditStack *densito_scan_view_get_edit_stack    (DensitoScanView *self);
int             densito_scan_view_get_selected        (DensitoScanView *self);
void            densito_scan_view_set_selected        (DensitoScanView *self,
                                                       int              selected);
gboolean        densito_scan_view_get_adding          (DensitoScanView *self);
void            densito_scan_view_get_handle_point    (DensitoScanView *self,
                                                       int              hx,
                                                       int              hy,
                                                       double          *wx,
                                                       double          *wy);
void            densito_scan_view_get_rotation_handle_point (DensitoScanView *self,
                                                             double          *wx,
                                                             double          *wy);
GtkWidget      *densito_scan_view_get_popover         (DensitoScanView *self);

double          densito_scan_view_get_zoom            (DensitoScanView *self);
void            densito_scan_view_set_zoom            (DensitoScanView *self,
                                                       double           zoom);
void            densito_scan_view_zoom_at             (DensitoScanView *self,
                                                       double           zoom,
                                                       double           wx,
                                                       double           wy);
void            densito_scan_view_zoom_in             (DensitoScanView *self);
void            densito_scan_view_zoom_out            (DensitoScanView *self);
void            densito_scan_view_zoom_fit            (DensitoScanView *self);
void            densito_scan_view_zoom_one            (DensitoScanView *self);
double          densito_scan_view_get_effective_scale (DensitoScanView *self);
void            densito_scan_view_pan                 (DensitoScanView *self,
                                                       double           dx,
                                                       double           dy);

double          densito_scan_view_get_brightness      (DensitoScanView *self);
void            densito_scan_view_set_brightness      (DensitoScanView *self,
                                                       double           brightness);
double          densito_scan_view_get_contrast        (DensitoScanView *self);
void            densito_scan_view_set_contrast        (DensitoScanView *self,
                                                       double           contrast);
gboolean        densito_scan_view_get_invert          (DensitoScanView *self);
void            densito_scan_view_set_invert          (DensitoScanView *self,
                                                       gboolean         invert);
void            densito_scan_view_reset_adjustments   (DensitoScanView *self);
gboolean        densito_scan_view_get_show_rois       (DensitoScanView *self);
void            densito_scan_view_set_show_rois       (DensitoScanView *self,
                                                       gboolean         show_rois);

void            densito_scan_view_widget_to_image     (DensitoScanView *self,
                                                       double           wx,
                                                       double           wy,
                                                       double          *ix,
                                                       double          *iy);
void            densito_scan_view_image_to_widget     (DensitoScanView *self,
                                                       double           ix,
                                                       double           iy,
                                                       double          *wx,
                                                       double          *wy);

G_END_DECLS
