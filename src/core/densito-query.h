/* densito-query.h
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "densito-dataset.h"
#include "densito-image-index.h"
#include "densito-table.h"

G_BEGIN_DECLS

typedef struct _DensitoQuery DensitoQuery;

DensitoQuery *densito_query_parse       (const char        *text,
                                         GError           **error);
void          densito_query_free        (DensitoQuery      *query);
const char   *densito_query_get_text    (DensitoQuery      *query);
guint         densito_query_get_n_terms (DensitoQuery      *query);
guint         densito_query_filter      (DensitoQuery      *query,
                                         DensitoTable      *table,
                                         DensitoImageIndex *images,
                                         guint             *rows);
gboolean      densito_query_matches     (DensitoQuery      *query,
                                         DensitoTable      *table,
                                         DensitoImageIndex *images,
                                         guint              row);

guint         densito_query_filter_dataset  (DensitoQuery      *query,
                                             DensitoDataset    *dataset,
                                             guint             *rows);
gboolean      densito_query_matches_dataset (DensitoQuery      *query,
                                             DensitoDataset    *dataset,
                                             guint              row);
gboolean      densito_query_uses_annotations (DensitoQuery     *query);
char         *densito_query_pending_field    (const char       *text,
                                              DensitoTable     *table);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DensitoQuery, densito_query_free)

G_END_DECLS
