/*
 * jdbc.h — what the 'jdbc' connector (PostgreSQL through libpq) shows outside
 * its file: the translation of a JDBC URL into libpq's connection keywords,
 * so that tests can check it without a server.
 */
#ifndef WR_JDBC_H
#define WR_JDBC_H

#include "../base/config.h"

/*
 * Translates a PostgreSQL JDBC URL into libpq connection keywords added to
 * conninfo (initialised by the caller): 'jdbc:postgresql://host[:port][,host2[:port2]]/db'
 * ('[::1]' for IPv6; no host is localhost, no port 5432), 'jdbc:postgresql:db' and
 * 'jdbc:postgresql:/' (localhost), followed by '?key=value&...' parameters
 * (percent-decoded): user, password, sslmode, sslcert, sslkey, sslrootcert,
 * connectTimeout, ApplicationName, currentSchema, options. Returns 0, or -1
 * with the reason in why (a URL of another database, an unknown parameter, a
 * bad port).
 */
int wr_jdbc_url_to_conninfo(const char *url, wr_config *conninfo, char *why, size_t why_size);

/* url with the value of a 'password' parameter replaced by '***': a new string (wr_free). */
char *wr_jdbc_url_redact(const char *url);

#endif
