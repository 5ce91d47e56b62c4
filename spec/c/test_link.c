/* Unit tests for src/link.c: the Link header field (RFC 8288 §3). */
#include "link.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;

#define CHECK(cond, ...)                                   \
  do {                                                     \
    if (!(cond)) {                                         \
      failures++;                                          \
      printf("FAIL %s:%d: ", __FILE__, __LINE__);          \
      printf(__VA_ARGS__);                                 \
      printf("\n");                                        \
    }                                                      \
  } while (0)

/* Links as one line: "<href> name=[value] flag | <href2> ...". A param
 * without a value shows its name alone; brackets make "" visible. */
static void dump(const hs_links *ls, char *buf, size_t size) {
  size_t len = 0;
  buf[0] = '\0';
#define PUT(...) \
  do { int w_ = snprintf(buf + len, size - len, __VA_ARGS__); \
       if (w_ > 0) len += (size_t)w_ < size - len ? (size_t)w_ : size - len - 1; } while (0)
  for (size_t i = 0; i < ls->n; i++) {
    const hs_link *l = &ls->v[i];
    PUT("%s<%s>", i ? " | " : "", l->href);
    for (size_t j = 0; j < l->n_params; j++) {
      if (l->params[j].value) PUT(" %s=[%s]", l->params[j].name, l->params[j].value);
      else PUT(" %s", l->params[j].name);
    }
  }
#undef PUT
}

typedef struct link_case { const char *in; const char *want; } link_case;

static const link_case cases[] = {
  /* basics */
  { "</a.css>", "</a.css>" },
  { "</a.css>; rel=preload", "</a.css> rel=[preload]" },
  { "<https://example.com/a?x=1&y=2#f>; rel=\"next\"",
    "<https://example.com/a?x=1&y=2#f> rel=[next]" },
  { "<>; rel=self", "<> rel=[self]" },  /* empty URI reference: the document itself */
  /* several links in one field */
  { "</a.css>; rel=preload; as=style, </b.js>; rel=preload; as=script",
    "</a.css> rel=[preload] as=[style] | </b.js> rel=[preload] as=[script]" },
  { "</a>,</b>,</c>", "</a> | </b> | </c>" },
  /* quoted strings: escapes, delimiters inside */
  { "</a>; rel=\"preload\"; title=\"a, b; c\"", "</a> rel=[preload] title=[a, b; c]" },
  { "</a>; title=\"say \\\"hi\\\"\"", "</a> title=[say \"hi\"]" },
  { "</a>; title=\"back\\\\slash\"", "</a> title=[back\\slash]" },
  { "</a>; title=\"<not a link>, </b>\", </c>", "</a> title=[<not a link>, </b>] | </c>" },
  { "</a>; title=\"\"", "</a> title=[]" },
  /* commas and semicolons inside the URI reference */
  { "</a,b;c>; rel=x, </d>", "</a,b;c> rel=[x] | </d>" },
  { "<https://h/p?q=1,2>; rel=\"a\"", "<https://h/p?q=1,2> rel=[a]" },
  /* OWS / BWS everywhere the grammar allows */
  { "  </a> ;rel=preload ;  as = style ,\t</b>\t;\trel\t=\t\"x\"  ",
    "</a> rel=[preload] as=[style] | </b> rel=[x]" },
  { "</a>;rel=preload;as=style", "</a> rel=[preload] as=[style]" },
  /* names are case-insensitive: lowercased; values untouched */
  { "</a>; REL=Preload; As=STYLE", "</a> rel=[Preload] as=[STYLE]" },
  /* rel with several types stays one raw value */
  { "</a>; rel=\"preload prefetch\"", "</a> rel=[preload prefetch]" },
  { "</a>; rel=\"  next  \"", "</a> rel=[  next  ]" },
  /* params without a value */
  { "</f.woff2>; rel=preload; as=font; crossorigin", "</f.woff2> rel=[preload] as=[font] crossorigin" },
  { "</a>; crossorigin; rel=preload", "</a> crossorigin rel=[preload]" },
  { "</a>; crossorigin , </b>", "</a> crossorigin | </b>" },
  /* RFC 8187 extended values are kept raw under the starred name */
  { "</a>; title*=UTF-8''%e2%82%ac", "</a> title*=[UTF-8''%e2%82%ac]" },
  { "</a>; title=\"EUR\"; title*=UTF-8'de'%e2%82%ac%20rates",
    "</a> title=[EUR] title*=[UTF-8'de'%e2%82%ac%20rates]" },
  /* empty values */
  { "</a>; title=", "</a> title=[]" },
  { "</a>; title=; rel=x", "</a> title=[] rel=[x]" },
  { "</a>; title= , </b>", "</a> title=[] | </b>" },
  /* lenient unquoted values */
  { "</a>; type=text/html; anchor=#x", "</a> type=[text/html] anchor=[#x]" },
  /* duplicates are kept, in order */
  { "</a>; rel=first; rel=second", "</a> rel=[first] rel=[second]" },
  /* empty list elements and stray semicolons */
  { "", "" },
  { "   ", "" },
  { ",", "" },
  { " , ,, </a> ,, , </b> ,", "</a> | </b>" },
  { "</a>;", "</a>" },
  { "</a>; ; rel=x;;", "</a> rel=[x]" },
  /* garbage: skipped, parsing resumes after the next top-level comma */
  { "foo, <x", "" },
  { "foo, </ok>", "</ok>" },
  { "</a", "" },
  { "</a>; title=\"unterminated", "" },
  { "</a>; title=\"unterminated, </b>", "" },
  { "</a>; title=\"ends in backslash\\", "" },
  { "</a>; rel=x y, </b>", "</b>" },
  { "</a> junk, </b>; rel=x", "</b> rel=[x]" },
  { "</a>; =x, </b>", "</b>" },
  { "</a>; rel=\"x\"junk, </b>", "</b>" },
  { "</a>; (rel)=x, </b>", "</b>" },
  { "</a>; rel=a\"b, </b>", "" },      /* a stray quote opens a quoted string to the end */
  { "</a>; rel=a\"b, </b>\", </c>", "</c>" },
  { "rel=x; </a>, </b>", "</b>" },
  { "\"q, x\", </a>", "</a>" },                           /* comma in quotes is not a boundary */
  { "bad\"<\", </a>", "</a>" },
  { "x<a,b>, </c>", "</c>" },                             /* comma in <> is not a boundary */
  { "x<a\"b>, </c>", "</c>" },                            /* no quoting inside <> */
  { "</a> </b>, </c>", "</c>" },
  { ";;;,,,<<<>>>,,,\"\"\"", "" },
  { "</a>; title=\"x\" ; rel=y , garbage , </b> ; rel = \"z\"",
    "</a> title=[x] rel=[y] | </b> rel=[z]" },
};

static void test_table(void) {
  char got[4096];
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    hs_links ls = { NULL, 0, 0 };
    int rc = hs__links_parse(&ls, cases[i].in);
    dump(&ls, got, sizeof got);
    CHECK(rc == 0 && strcmp(got, cases[i].want) == 0, "link '%s':\n  got  '%s' (rc %d)\n  want '%s'",
          cases[i].in, got, rc, cases[i].want);
    hs__links_free(&ls);
  }
}

static void test_api(void) {
  hs_links ls = { NULL, 0, 0 };

  /* Two fields append to the same list. */
  CHECK(hs__links_parse(&ls, "</a.css>; rel=preload; as=style; crossorigin; REL=ignored") == 0, "parse 1");
  CHECK(hs__links_parse(&ls, "</b.js>; rel=\"preload\"; title=\"t\"") == 0, "parse 2");
  CHECK(hs__links_parse(&ls, NULL) == 0, "NULL value is an empty field");
  CHECK(hs__links_parse(NULL, "</a>") == -1, "NULL list");
  CHECK(ls.n == 2, "two links, got %zu", ls.n);
  if (ls.n == 2) {
    const hs_link *a = &ls.v[0], *b = &ls.v[1];
    CHECK(strcmp(a->href, "/a.css") == 0, "href a");
    const char *rel = hs__link_param(a, "rel");
    CHECK(rel && strcmp(rel, "preload") == 0, "first rel wins (RFC 8288 §3.3)");
    const char *as = hs__link_param(a, "AS");
    CHECK(as && strcmp(as, "style") == 0, "lookup is case-insensitive");
    CHECK(hs__link_param(a, "crossorigin") == NULL, "valueless param gives NULL");
    CHECK(hs__link_param(a, "title") == NULL, "absent param gives NULL");
    CHECK(hs__link_param(a, "") == NULL, "empty name");
    CHECK(hs__link_param(a, "re") == NULL, "prefix does not match");
    CHECK(hs__link_param(a, "rels") == NULL, "longer name does not match");
    CHECK(a->n_params == 4, "duplicate rel kept, got %zu params", a->n_params);
    const char *t = hs__link_param(b, "title");
    CHECK(t && strcmp(t, "t") == 0, "title of b");
    CHECK(hs__link_param(NULL, "rel") == NULL, "NULL link");
    CHECK(hs__link_param(b, NULL) == NULL, "NULL name");
  }

  hs__links_free(&ls);
  CHECK(ls.v == NULL && ls.n == 0 && ls.cap == 0, "free leaves an empty list");
  hs__links_free(&ls);  /* twice is fine */
  hs__links_free(NULL);

  /* The list grows past its first allocation. */
  char big[8192];
  size_t len = 0;
  for (int i = 0; i < 100; i++)
    len += (size_t)snprintf(big + len, sizeof big - len, "%s</r%d>; rel=\"x%d\"; p%d", i ? ", " : "", i, i, i);
  CHECK(hs__links_parse(&ls, big) == 0, "100 links");
  CHECK(ls.n == 100, "100 links, got %zu", ls.n);
  if (ls.n == 100) {
    const char *rel = hs__link_param(&ls.v[99], "rel");
    CHECK(strcmp(ls.v[99].href, "/r99") == 0 && rel && strcmp(rel, "x99") == 0, "link 99");
  }
  hs__links_free(&ls);

  /* Many params on one link. */
  len = 0;
  len += (size_t)snprintf(big + len, sizeof big - len, "</m>");
  for (int i = 0; i < 50; i++) len += (size_t)snprintf(big + len, sizeof big - len, "; k%d=v%d", i, i);
  CHECK(hs__links_parse(&ls, big) == 0 && ls.n == 1 && ls.v[0].n_params == 50, "50 params");
  if (ls.n == 1) {
    const char *v = hs__link_param(&ls.v[0], "k49");
    CHECK(v && strcmp(v, "v49") == 0, "param 49");
  }
  hs__links_free(&ls);
}

/* Every prefix of some tricky fields: no crash, no leak, no out-of-bounds read. */
static void test_prefixes(void) {
  static const char *const inputs[] = {
    "</a.css>; rel=preload; as=style, </b.js>; rel=\"pre\\\"load\"; title=\"a, b; c\"; crossorigin",
    "<https://h/p?q=1,2>; title*=UTF-8''%e2%82%ac, foo, <x",
    "\"q, x\", bad\"<\", </a> ; title = \"\" ;; , </b>",
  };
  for (size_t i = 0; i < sizeof inputs / sizeof *inputs; i++) {
    size_t n = strlen(inputs[i]);
    for (size_t k = 0; k <= n; k++) {
      char *s = malloc(k + 1);
      if (!s) return;
      memcpy(s, inputs[i], k);
      s[k] = '\0';
      hs_links ls = { NULL, 0, 0 };
      CHECK(hs__links_parse(&ls, s) == 0, "prefix %zu of input %zu", k, i);
      hs__links_free(&ls);
      free(s);
    }
  }
}

int main(void) {
  test_table();
  test_api();
  test_prefixes();
  if (failures) {
    printf("%d failure(s)\n", failures);
    return 1;
  }
  printf("test_link: all passed\n");
  return 0;
}
