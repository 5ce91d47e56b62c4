/* Process-wide set-up and what the linked libcurl can do. */
#include <curl/curl.h>

#include "internal.h"

hs_code hs_global_init(void) {
  return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? HS_OK : HS_E_CURL;
}

void hs_global_cleanup(void) { curl_global_cleanup(); }

const char *hs_version(void) { return HS_VERSION_STR; }

const char *hs_curl_version(void) { return curl_version_info(CURLVERSION_NOW)->version; }
