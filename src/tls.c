/* TLS facts of a hop: copying, freeing, and the one a result reports. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

hs_tls_info *hs__tls_info_dup(const hs_tls_info *t) {
  hs_tls_info *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  c->version = hs__strdup(t->version);
  c->cipher = hs__strdup(t->cipher);
  c->subject = hs__strdup(t->subject);
  c->issuer = hs__strdup(t->issuer);
  c->not_after = t->not_after;
  c->verified = t->verified;
  return c;
}

void hs__tls_info_free(hs_tls_info *t) {
  if (!t) return;
  free(t->version); free(t->cipher); free(t->subject); free(t->issuer);
  free(t);
}

const hs_tls_info *hs__result_tls(const hs_result *r) {
  const hs_tls_info *best = NULL;
  for (size_t i = 0; i < r->n_hops; i++) {
    const hs_tls_info *t = r->hops[i].tls;
    if (!t || (!t->subject && !t->version)) continue;
    if (!best || (t->not_after != HS_NONE && (best->not_after == HS_NONE || t->not_after < best->not_after)))
      best = t;
  }
  return best;
}
