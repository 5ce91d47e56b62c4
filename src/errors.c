/* hs_code messages and the names of error kinds (stable: they are API). */
#include <stddef.h>
#include <string.h>

#include "internal.h"

const char *hs_strerror(hs_code code) {
  switch (code) {
  case HS_OK: return "no error";
  case HS_E_BADARG: return "bad argument";
  case HS_E_NOMEM: return "out of memory";
  case HS_E_CURL: return "libcurl refused a setting";
  case HS_E_NOTFOUND: return "not found";
  case HS_E_REENTRANT: return "called from inside a callback";
  default: return "unknown error";
  }
}

static const char *const kind_names[HS_ERR_LAST] = {
  [HS_ERR_NONE] = NULL,
  [HS_ERR_URL] = "url",
  [HS_ERR_DNS] = "dns",
  [HS_ERR_CONNECT] = "connect",
  [HS_ERR_TLS] = "tls",
  [HS_ERR_TIMEOUT] = "timeout",
  [HS_ERR_RESET] = "reset",
  [HS_ERR_INCOMPLETE_BODY] = "incomplete_body",
  [HS_ERR_TOO_MANY_REDIRECTS] = "too_many_redirects",
  [HS_ERR_REDIRECT_LOOP] = "redirect_loop",
  [HS_ERR_SCHEME_REFUSED] = "scheme_refused",
  [HS_ERR_DOWNGRADE_REFUSED] = "downgrade_refused",
  [HS_ERR_BODY_TOO_LARGE] = "body_too_large",
  [HS_ERR_HEADERS_TOO_LARGE] = "headers_too_large",
  [HS_ERR_PROTOCOL] = "protocol",
  [HS_ERR_RETRY_BUDGET] = "retry_budget",
  [HS_ERR_CANCELLED] = "cancelled",
  [HS_ERR_OTHER] = "other",
};

const char *hs__error_kind_name(hs_error_kind k) {
  return k > HS_ERR_NONE && k < HS_ERR_LAST ? kind_names[k] : NULL;
}

hs_error_kind hs__error_kind_by_name(const char *name) {
  for (int k = HS_ERR_NONE + 1; k < HS_ERR_LAST; k++)
    if (strcmp(kind_names[k], name) == 0) return (hs_error_kind)k;
  return HS_ERR_NONE;
}
