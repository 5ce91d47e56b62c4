/* The status registry: what every known HTTP status code means.
 *
 * One X-macro list is the single source of the data. From it the compiler
 * builds the rows (ascending by code), an index of 500 slots (code - 100 ->
 * row + 1) for O(1) lookup, and the ascending array hs_status_codes hands
 * out, so the three can never disagree. Descriptions and advice are the
 * project's own words. */
#include <stddef.h>

#include "httpstatus.h"

/* Short names for the flags, only to keep the table readable. */
#define DEP HS_STATUS_DEPRECATED
#define EXP HS_STATUS_EXPERIMENTAL
#define DAV HS_STATUS_WEBDAV
#define CAC HS_STATUS_CACHEABLE
#define RET HS_STATUS_RETRYABLE

/* X(code, flags, spec, reason, description, advice, aliases..., NULL)
 * Rows must stay in ascending order of code (test_status.c checks it).
 * The alias list always ends with NULL, so no row has an empty variadic part. */
#define HS_STATUS_ROWS(X) \
  X(100, 0, "RFC 9110 §15.2.1", "Continue", \
    "An interim response saying the request head arrived and the client may go on to " \
    "send the body. It usually answers a request that carried Expect: 100-continue.", \
    "Send the request body, then wait for the final response; a client that never asked " \
    "for it can ignore it.", \
    NULL) \
  X(101, 0, "RFC 9110 §15.2.2", "Switching Protocols", \
    "The server accepts the client's Upgrade request and will speak the protocol named in " \
    "its Upgrade header as soon as this response ends.", \
    "Carry on over the same connection in the protocol the server named; if no upgrade " \
    "was requested, treat the connection as unusable.", \
    NULL) \
  X(102, DAV, "RFC 2518 §10.1", "Processing", \
    "An interim WebDAV response telling the client that a long-running request was " \
    "accepted and is still being worked on. RFC 4918 dropped it, yet some servers still send it.", \
    "Keep waiting for the final response and do not time out because of the delay; it is " \
    "a keep-alive, not a result.", \
    NULL) \
  X(103, 0, "RFC 8297", "Early Hints", \
    "An interim response carrying header fields, mostly Link preload hints, that the final " \
    "response is expected to have, sent while the server is still preparing it.", \
    "Optionally start fetching or connecting to the hinted resources, and keep waiting for " \
    "the final response; the hints are not authoritative.", \
    NULL) \
  X(200, CAC, "RFC 9110 §15.3.1", "OK", \
    "The request worked. What the content means depends on the method: the target's " \
    "representation for GET, the outcome of the action for POST.", \
    "Use the response; nothing more is needed.", \
    NULL) \
  X(201, 0, "RFC 9110 §15.3.2", "Created", \
    "The request worked and made one or more new resources; the main one is usually " \
    "identified by the Location header.", \
    "Read Location to find the new resource; do not repeat the request, which might create " \
    "a duplicate.", \
    NULL) \
  X(202, 0, "RFC 9110 §15.3.3", "Accepted", \
    "The request was taken on for processing that has not finished and may still fail; " \
    "HTTP has no built-in way to report the final outcome.", \
    "Do not assume the work is done; poll the status resource or use whatever mechanism " \
    "the service documents.", \
    NULL) \
  X(203, CAC, "RFC 9110 §15.3.4", "Non-Authoritative Information", \
    "A success whose content a transforming proxy changed on the way, so it differs from " \
    "the origin server's own 200 response.", \
    "Use the response, remembering an intermediary altered it; send Cache-Control: " \
    "no-transform if the original matters.", \
    NULL) \
  X(204, CAC, "RFC 9110 §15.3.5", "No Content", \
    "The request worked and the response deliberately has no content; header fields such " \
    "as ETag may still carry metadata.", \
    "Treat it as success and do not wait for or parse a body; a user agent stays on its " \
    "current view.", \
    NULL) \
  X(205, 0, "RFC 9110 §15.3.6", "Reset Content", \
    "The request worked and the server asks the user agent to reset the view that sent it, " \
    "for instance to clear a form for the next entry. It never has content.", \
    "Clear the form or view that produced the request; expect no body.", \
    NULL) \
  X(206, CAC, "RFC 9110 §15.3.7", "Partial Content", \
    "The server sends only the parts of the representation that a Range request asked " \
    "for, described by Content-Range or as a multipart/byteranges body.", \
    "Merge the ranges with the parts already held, after checking that the validator " \
    "(ETag or Last-Modified) still matches.", \
    NULL) \
  X(207, DAV, "RFC 4918 §11.1", "Multi-Status", \
    "A WebDAV response whose XML body gives a separate status for each of the resources " \
    "the request touched.", \
    "Parse the multistatus body and check each resource's own status; a 207 does not mean " \
    "every part worked.", \
    NULL) \
  X(208, DAV, "RFC 5842 §7.1", "Already Reported", \
    "Used inside a WebDAV multistatus body to say a binding's members were listed earlier " \
    "in the same response and are not repeated.", \
    "Look at the earlier entry for that resource; outside a multistatus body this code " \
    "points to a server bug.", \
    NULL) \
  X(226, 0, "RFC 3229 §10.4.1", "IM Used", \
    "The server answered a GET with instance manipulations, such as a delta encoding, " \
    "applied to the current instance, naming them in its IM header.", \
    "Apply the manipulations to the cached base instance to rebuild the current one; a " \
    "client that sent no A-IM header should not receive it.", \
    NULL) \
  X(300, CAC, "RFC 9110 §15.4.1", "Multiple Choices", \
    "The target has several representations, each with its own URI, and the server leaves " \
    "the choice to the client, perhaps naming a preferred one in Location.", \
    "Pick one of the listed alternatives, or the Location if given; httpstatus does not " \
    "follow it on its own.", \
    NULL) \
  X(301, CAC, "RFC 9110 §15.4.2", "Moved Permanently", \
    "The target has moved for good to the URI in the Location header. For historical " \
    "reasons clients may turn a POST into a GET when following it.", \
    "Follow Location and update stored links to the new URI; on your own servers use 308 " \
    "when the method must be kept.", \
    NULL) \
  X(302, 0, "RFC 9110 §15.4.3", "Found", \
    "The target is for now at the URI in the Location header, but the original URI stays " \
    "the one to use. Clients may turn a POST into a GET when following it.", \
    "Follow Location for this request and keep using the original URI afterwards.", \
    "Moved Temporarily", NULL) \
  X(303, 0, "RFC 9110 §15.4.4", "See Other", \
    "The server points to another resource, in Location, that holds an answer to the " \
    "request, often the result of a POST; that resource is fetched with GET.", \
    "Fetch the Location URI with GET (HEAD stays HEAD); the original request was already " \
    "handled, so do not send it again.", \
    NULL) \
  X(304, 0, "RFC 9110 §15.4.5", "Not Modified", \
    "A conditional GET or HEAD found that the client's stored copy is still current, so no " \
    "content is sent.", \
    "Use the stored copy, updating its metadata from the header fields of this response.", \
    NULL) \
  X(305, DEP, "RFC 9110 §15.4.6", "Use Proxy", \
    "Once meant the target had to be reached through the proxy named in Location. It is " \
    "deprecated because it let a server redirect traffic through an arbitrary proxy.", \
    "Do not follow it or change proxies because of it; treat it as a failed request.", \
    NULL) \
  X(306, DEP, "RFC 9110 §15.4.7", "(Unused)", \
    "A code an early HTTP draft used for switching proxies; it is reserved now and no " \
    "current specification gives it a meaning.", \
    "Nothing valid sends it; treat it as an unexplained 3xx and follow no Location it " \
    "carries.", \
    "Switch Proxy", NULL) \
  X(307, 0, "RFC 9110 §15.4.8", "Temporary Redirect", \
    "The target is for now at the URI in Location, and the request must be repeated there " \
    "with the same method and body.", \
    "Send the same request, method and body unchanged, to Location; keep using the " \
    "original URI later.", \
    NULL) \
  X(308, CAC, "RFC 9110 §15.4.9", "Permanent Redirect", \
    "The target has moved for good to the URI in Location and, unlike with 301, the method " \
    "and body must not change on the way.", \
    "Send the same request to Location with its method unchanged, and update stored links " \
    "to the new URI.", \
    NULL) \
  X(400, 0, "RFC 9110 §15.5.1", "Bad Request", \
    "The server will not handle the request because of what it sees as a client mistake, " \
    "such as malformed syntax, bad framing or an invalid parameter.", \
    "Fix the request before sending it again; the same request will get the same answer.", \
    NULL) \
  X(401, 0, "RFC 9110 §15.5.2", "Unauthorized", \
    "The request has no valid credentials for the target; the WWW-Authenticate header " \
    "names the authentication schemes the server accepts.", \
    "Authenticate with a scheme from WWW-Authenticate and try again; if credentials were " \
    "already sent they were refused, so do not loop on them.", \
    NULL) \
  X(402, EXP, "RFC 9110 §15.5.3", "Payment Required", \
    "Set aside for future use by HTTP and without standard meaning; some APIs use it for " \
    "billing or quota problems.", \
    "Read the body for the service's own explanation; there is no standard way to recover.", \
    NULL) \
  X(403, 0, "RFC 9110 §15.5.4", "Forbidden", \
    "The server understood the request and refuses to carry it out; other credentials " \
    "may not change that.", \
    "Do not retry as is; check the account's permissions and read the body for a reason.", \
    NULL) \
  X(404, CAC, "RFC 9110 §15.5.5", "Not Found", \
    "The server has no current representation of the target, or prefers not to say " \
    "whether it has one.", \
    "Check the URL: the resource may never have existed or moved without a redirect. A " \
    "retry rarely helps.", \
    NULL) \
  X(405, CAC, "RFC 9110 §15.5.6", "Method Not Allowed", \
    "The target exists but does not support the request's method; the Allow header lists " \
    "the methods it does support.", \
    "Use one of the methods listed in Allow.", \
    NULL) \
  X(406, 0, "RFC 9110 §15.5.7", "Not Acceptable", \
    "No representation of the target satisfies the request's negotiation headers, such as " \
    "Accept, Accept-Language or Accept-Encoding.", \
    "Relax the Accept-* headers (for example add */*) or ask for a format the server offers.", \
    NULL) \
  X(407, 0, "RFC 9110 §15.5.8", "Proxy Authentication Required", \
    "Like 401, but a proxy on the path wants the credentials; it lists its schemes in " \
    "Proxy-Authenticate.", \
    "Send proxy credentials in Proxy-Authorization and try again; check the proxy settings " \
    "if no proxy was expected.", \
    NULL) \
  X(408, RET, "RFC 9110 §15.5.9", "Request Timeout", \
    "The server stopped waiting for the rest of the request and is closing the connection.", \
    "Send the request again on a new connection; doing so automatically is fine for " \
    "idempotent requests.", \
    "Request Time-out", NULL) \
  X(409, 0, "RFC 9110 §15.5.10", "Conflict", \
    "The request clashes with the current state of the target, for example an edit based " \
    "on an outdated version.", \
    "Fetch the current state, resolve the conflict (the body often explains it), then send " \
    "a corrected request.", \
    NULL) \
  X(410, CAC, "RFC 9110 §15.5.11", "Gone", \
    "The target was removed on purpose, is expected to stay away, and has no forwarding " \
    "address.", \
    "Stop requesting it and remove links to it.", \
    NULL) \
  X(411, 0, "RFC 9110 §15.5.12", "Length Required", \
    "The server refuses a request with content unless it has a Content-Length header.", \
    "Send the request again with a valid Content-Length.", \
    NULL) \
  X(412, 0, "RFC 9110 §15.5.13", "Precondition Failed", \
    "A condition in the request headers, such as If-Match or If-Unmodified-Since, was " \
    "false on the server, so the method was not applied.", \
    "Fetch the current representation and its validators, reconcile your change with it, " \
    "then retry with the new conditions.", \
    NULL) \
  X(413, 0, "RFC 9110 §15.5.14", "Content Too Large", \
    "The request content is larger than the server will or can process; the server may " \
    "close the connection.", \
    "Send less data, for instance in parts; a Retry-After header means the limit may be " \
    "temporary.", \
    "Payload Too Large", "Request Entity Too Large", NULL) \
  X(414, CAC, "RFC 9110 §15.5.15", "URI Too Long", \
    "The target URI is longer than the server is willing to read, often because data went " \
    "into the query instead of a body, or a redirect loop kept growing it.", \
    "Shorten the URI, for instance by moving the data into a POST body, and check for a " \
    "redirect loop.", \
    "Request-URI Too Long", NULL) \
  X(415, 0, "RFC 9110 §15.5.16", "Unsupported Media Type", \
    "The server refuses the request content because of its media type or content coding.", \
    "Send the content in a format the server takes; check Content-Type and " \
    "Content-Encoding, and any Accept or Accept-Encoding in the response.", \
    NULL) \
  X(416, 0, "RFC 9110 §15.5.17", "Range Not Satisfiable", \
    "None of the ranges in the Range header fit the selected representation, for instance " \
    "one starting past its end.", \
    "Read the current length from Content-Range and ask for a valid range, or fetch the " \
    "whole resource.", \
    "Requested Range Not Satisfiable", NULL) \
  X(417, 0, "RFC 9110 §15.5.18", "Expectation Failed", \
    "The expectation in the request's Expect header could not be met by at least one " \
    "server on the path.", \
    "Send the request again without Expect; httpstatus does this once by itself for " \
    "100-continue.", \
    NULL) \
  X(418, 0, "RFC 9110 §15.5.19", "I'm a teapot", \
    "Born in RFC 2324, an April Fools' protocol for coffee pots; RFC 9110 lists it as " \
    "(Unused) and keeps it reserved because so much software already sends it.", \
    "Treat it as a generic client error; it has no standard meaning.", \
    NULL) \
  X(421, 0, "RFC 9110 §15.5.20", "Misdirected Request", \
    "The request reached a server that does not answer for its target URI, often because " \
    "a reused connection was sent a request for another host.", \
    "Retry on a new connection, whatever the method; the server did not process it.", \
    NULL) \
  X(422, 0, "RFC 9110 §15.5.21", "Unprocessable Content", \
    "The server understands the content type and the syntax is fine, but it cannot act on " \
    "what the content says, typically a validation failure.", \
    "Correct the content using the error details in the body; the same content will fail " \
    "again.", \
    "Unprocessable Entity", NULL) \
  X(423, DAV, "RFC 4918 §11.3", "Locked", \
    "The WebDAV source or destination resource is locked, so the method cannot apply to it.", \
    "Wait until the lock is released, or send the right lock token in an If header, then " \
    "retry.", \
    NULL) \
  X(424, DAV, "RFC 4918 §11.4", "Failed Dependency", \
    "The method could not be applied to this resource because another action it relied " \
    "on, often in the same request, failed.", \
    "Find and fix the action that failed first, usually reported elsewhere in the same " \
    "multistatus response.", \
    NULL) \
  X(425, EXP | RET, "RFC 8470 §5.2", "Too Early", \
    "The server will not process a request sent in TLS early data (0-RTT), since an " \
    "attacker could have replayed it.", \
    "Send the request again after the TLS handshake has completed, not as early data.", \
    NULL) \
  X(426, 0, "RFC 9110 §15.5.22", "Upgrade Required", \
    "The server refuses the request over the current protocol but may accept it once the " \
    "client switches to one named in the Upgrade header.", \
    "Switch to the protocol named in Upgrade (for example TLS or a newer HTTP) and send " \
    "the request again.", \
    NULL) \
  X(428, 0, "RFC 6585 §3", "Precondition Required", \
    "The origin requires the request to be conditional, so that clients cannot overwrite " \
    "each other's changes unknowingly.", \
    "Fetch the current ETag or Last-Modified and resend with If-Match or " \
    "If-Unmodified-Since.", \
    NULL) \
  X(429, RET, "RFC 6585 §4", "Too Many Requests", \
    "The client sent more requests in a period of time than the server allows; this is " \
    "rate limiting.", \
    "Wait as long as Retry-After says if it is present, otherwise back off exponentially; " \
    "never retry straight away.", \
    NULL) \
  X(431, 0, "RFC 6585 §5", "Request Header Fields Too Large", \
    "The server will not process the request because one header field, or all of them " \
    "together, are too big.", \
    "Make the headers smaller, most often by clearing or trimming cookies, then try again.", \
    NULL) \
  X(451, CAC, "RFC 7725 §3", "Unavailable For Legal Reasons", \
    "Access is blocked because of a legal requirement, such as a court order or a state " \
    "block; a Link with rel=blocked-by may name who imposed it.", \
    "Nothing on the client side can fix it; read the body for the reason and do not retry.", \
    NULL) \
  X(500, 0, "RFC 9110 §15.6.1", "Internal Server Error", \
    "Something unexpected went wrong on the server; the code says nothing more specific.", \
    "The fault is the server's; report it, and retry later only if the request is safe to " \
    "repeat.", \
    NULL) \
  X(501, CAC, "RFC 9110 §15.6.2", "Not Implemented", \
    "The server lacks the feature needed for the request, typically a method it does not " \
    "recognise for any resource.", \
    "Use another method or feature; the same request will not succeed later.", \
    NULL) \
  X(502, RET, "RFC 9110 §15.6.3", "Bad Gateway", \
    "A gateway or proxy received an invalid response from the upstream server it called " \
    "to handle the request.", \
    "Retry after a short backoff, as upstream faults are often brief; if it persists, the " \
    "upstream or the proxy setup needs attention.", \
    NULL) \
  X(503, RET, "RFC 9110 §15.6.4", "Service Unavailable", \
    "The server cannot handle the request right now, for example because of overload or " \
    "maintenance, and expects this to pass.", \
    "Wait for Retry-After if present, otherwise back off exponentially before retrying.", \
    NULL) \
  X(504, RET, "RFC 9110 §15.6.5", "Gateway Timeout", \
    "A gateway or proxy gave up waiting for an upstream server it needed to handle the " \
    "request.", \
    "Retry after a backoff if the request is safe to repeat; the upstream may have acted " \
    "on it anyway, so take care with non-idempotent methods.", \
    "Gateway Time-out", NULL) \
  X(505, 0, "RFC 9110 §15.6.6", "HTTP Version Not Supported", \
    "The server refuses the major HTTP version the request used.", \
    "Send the request again with a version the server supports, usually HTTP/1.1.", \
    NULL) \
  X(506, 0, "RFC 2295 §8.1", "Variant Also Negotiates", \
    "Transparent content negotiation is misconfigured on the server: the chosen variant " \
    "negotiates in turn, which would loop.", \
    "Nothing the client can change; tell the server's operators.", \
    NULL) \
  X(507, DAV, "RFC 4918 §11.5", "Insufficient Storage", \
    "The WebDAV method failed because the server cannot store what it needs to complete " \
    "it; the condition is expected to be temporary.", \
    "Free space or send less, or retry later once the server has room; not straight away.", \
    NULL) \
  X(508, DAV, "RFC 5842 §7.2", "Loop Detected", \
    "The server stopped a WebDAV request with Depth: infinity because it found a loop of " \
    "bindings while processing it.", \
    "Change the bindings or use a smaller Depth; the same request will fail again.", \
    NULL) \
  X(510, DEP, "RFC 2774 §7", "Not Extended", \
    "The request did not meet the server's policy under the HTTP Extension Framework, an " \
    "experiment that saw little use and is now historic.", \
    "Add the mandatory extension declarations the body asks for, if known; otherwise treat " \
    "it as a failure.", \
    NULL) \
  X(511, 0, "RFC 6585 §6", "Network Authentication Required", \
    "A network that intercepts traffic, such as a captive portal on public Wi-Fi, wants " \
    "the client to log in before it gives access.", \
    "The response did not come from the origin; sign in to the network (often on a page " \
    "linked from the body), then retry.", \
    NULL)

struct hs_status_row {
  int code;
  unsigned flags;
  const char *spec;
  const char *reason;
  const char *description;
  const char *advice;
  const char *const *aliases; /* NULL-terminated */
};

/* Row numbers, so the index can refer to rows by name at compile time. */
enum {
#define X(code, ...) HS_ROW_##code,
  HS_STATUS_ROWS(X)
#undef X
  HS_ROW_COUNT
};

/* Aliases are file-scope compound literals: static storage, so they are
 * valid in a static initializer. */
static const struct hs_status_row rows[HS_ROW_COUNT] = {
#define X(code, flags, spec, reason, desc, advice, ...) \
  { code, HS_STATUS_KNOWN | (flags), spec, reason, desc, advice, \
    (const char *const[]){ __VA_ARGS__ } },
  HS_STATUS_ROWS(X)
#undef X
};

/* Slot code - 100 holds row + 1; 0 means unknown. */
_Static_assert(HS_ROW_COUNT < 255, "the index stores row + 1 in an unsigned char");
static const unsigned char slots[500] = {
#define X(code, ...) [(code) - 100] = HS_ROW_##code + 1,
  HS_STATUS_ROWS(X)
#undef X
};

static const int codes[HS_ROW_COUNT] = {
#define X(code, ...) code,
  HS_STATUS_ROWS(X)
#undef X
};

#undef DEP
#undef EXP
#undef DAV
#undef CAC
#undef RET

static const struct hs_status_row *find(int code) {
  if (code < 100 || code > 599 || slots[code - 100] == 0) return NULL;
  return &rows[slots[code - 100] - 1];
}

hs_class hs_status_class(int code) {
  if (code < 100 || code > 599) return HS_CLASS_INVALID;
  return (hs_class)(code / 100);
}

const char *hs_class_name(hs_class cls) {
  switch (cls) {
    case HS_CLASS_INFORMATIONAL: return "informational";
    case HS_CLASS_SUCCESS: return "success";
    case HS_CLASS_REDIRECTION: return "redirection";
    case HS_CLASS_CLIENT_ERROR: return "client_error";
    case HS_CLASS_SERVER_ERROR: return "server_error";
    case HS_CLASS_INVALID: break;
  }
  return NULL;
}

unsigned hs_status_flags(int code) {
  const struct hs_status_row *row = find(code);
  return row ? row->flags : 0;
}

const char *hs_status_reason(int code) {
  const struct hs_status_row *row = find(code);
  return row ? row->reason : NULL;
}

const char *hs_status_description(int code) {
  const struct hs_status_row *row = find(code);
  return row ? row->description : NULL;
}

const char *hs_status_advice(int code) {
  const struct hs_status_row *row = find(code);
  return row ? row->advice : NULL;
}

const char *hs_status_spec(int code) {
  const struct hs_status_row *row = find(code);
  return row ? row->spec : NULL;
}

const char *hs_status_alias(int code, size_t index) {
  const struct hs_status_row *row = find(code);
  if (!row) return NULL;
  /* Walk rather than store a count: lists hold at most two entries. */
  for (size_t i = 0; row->aliases[i]; i++)
    if (i == index) return row->aliases[i];
  return NULL;
}

int hs_status_treat_as(int code) {
  hs_class cls = hs_status_class(code);
  if (cls == HS_CLASS_INVALID) return 0;
  return find(code) ? code : (int)cls * 100; /* RFC 9110 §15: unknown = x00 of its class */
}

size_t hs_status_codes(const int **out) {
  if (out) *out = codes;
  return HS_ROW_COUNT;
}
