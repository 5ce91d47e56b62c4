/* Link header field parsing (RFC 8288 §3).
 *
 *   Link       = #link-value
 *   link-value = "<" URI-Reference ">" *( OWS ";" OWS link-param )
 *   link-param = token BWS [ "=" BWS ( token / quoted-string ) ]
 *
 * Decisions:
 * - The URI reference is kept raw, exactly as between < and > (commas and
 *   all); resolving it against the request URL is the caller's job.
 * - Values are kept raw otherwise: rel="a b" is not split into relation types,
 *   title*=UTF-8''%e2%82%ac (RFC 8187) is not decoded; its name is "title*".
 * - A quoted-string value is unquoted (backslash escapes removed, §5.6.4 of
 *   RFC 9110). An unquoted value is read leniently: any run of visible
 *   characters other than ; , and " (servers send type=text/html, where / is
 *   not a token character). "name=" with nothing after it gives "".
 * - A parameter that appears twice is kept twice, in order. RFC 8288 §3.3 says
 *   later rel params are ignored; hs__link_param returns the first, which
 *   honours that.
 * - A malformed link-value is skipped as a whole; parsing resumes after the
 *   next comma outside <> and quotes. Empty list elements (", ,") are allowed
 *   (RFC 9110 §5.6.1).
 */
#ifndef HS_LINK_H
#define HS_LINK_H

#include <stddef.h>

typedef struct hs_link_param { char *name; char *value; } hs_link_param; /* name lowercased; value unquoted, NULL when the param has no value */
typedef struct hs_link { char *href; hs_link_param *params; size_t n_params; } hs_link;
typedef struct hs_links { hs_link *v; size_t n, cap; } hs_links;

/* Parses one Link header field value and appends its links to *out.
 * Returns 0, or -1 when out of memory. Malformed links are skipped, and the
 * parser resynchronises at the next comma that is outside <> and quotes.
 * On -1 the links appended before the failure stay in *out. */
int hs__links_parse(hs_links *out, const char *value);
void hs__links_free(hs_links *links); /* frees contents, leaves an empty list */
/* First value of the param called name (case-insensitive), or NULL when it is
 * absent or has no value. */
const char *hs__link_param(const hs_link *link, const char *name);

#endif
