/*
 * ast.h — the syntax tree of Flink SQL as Weir parses it.
 *
 * The parser (parser.c) builds these nodes in an arena owned by the caller;
 * nothing here is freed individually. Every node records the byte offset of
 * its first token (pos) so that the binder can report "line L, column C" for
 * names and types it rejects. Identifiers keep their case (Flink SQL is case
 * sensitive for identifiers); keywords and function names are matched without
 * case. The tree is syntax only: no name is resolved and no type is checked.
 */
#ifndef WR_SQL_AST_H
#define WR_SQL_AST_H

#include "../base/wr.h"

typedef struct wr_ast_expr wr_ast_expr;
typedef struct wr_ast_query wr_ast_query;
typedef struct wr_ast_window wr_ast_window; /* OVER (...), defined with the queries */

/* ---- types ------------------------------------------------------------- */

/*
 * A data type as written. name is upper-case and canonical: INTEGER -> INT,
 * DOUBLE PRECISION -> DOUBLE, CHARACTER VARYING -> VARCHAR, DEC/NUMERIC ->
 * DECIMAL, TIMESTAMP WITH LOCAL TIME ZONE -> TIMESTAMP_LTZ, TEXT -> STRING,
 * REAL -> FLOAT. nparams counts the parenthesised numbers (VARCHAR(10): 1,
 * DECIMAL(10, 2): 2).
 *
 * Constructed types keep their parts in children (nchildren of them):
 *   ARRAY<T>, T ARRAY       name "ARRAY", one child
 *   MULTISET<T>, T MULTISET name "MULTISET", one child
 *   MAP<K, V>               name "MAP", two children (key, value)
 *   ROW<a T, ...>, ROW(...) name "ROW", one child per field, named by
 *                           field_names[i] (case kept), with an optional
 *                           description field_comments[i] (or NULL)
 * INTERVAL types have name "INTERVAL" and the units as written in
 * interval_unit / interval_to_unit (upper-case singular, e.g. "DAY" and
 * "SECOND"; to_unit NULL for a single unit), the leading precision in
 * interval_precision and the fractional-second precision in
 * interval_frac_precision (-1 when not given): INTERVAL DAY(2) TO SECOND(3)
 * -> DAY, SECOND, 2, 3; INTERVAL SECOND(3) -> SECOND, NULL, -1, 3.
 */
typedef struct wr_ast_type {
    const char *name;
    int nparams;
    int params[2];
    bool not_null;
    int pos;
    struct wr_ast_type *children; /* ARRAY, MULTISET, MAP, ROW; NULL otherwise */
    const char **field_names;     /* ROW only */
    const char **field_comments;  /* ROW only; entries NULL when not given */
    int nchildren;
    const char *interval_unit; /* INTERVAL only */
    const char *interval_to_unit;
    int interval_precision;
    int interval_frac_precision;
} wr_ast_type;

/* ---- expressions ------------------------------------------------------- */

typedef enum wr_ast_expr_kind {
    WR_AST_LITERAL,     /* lit */
    WR_AST_IDENT,       /* ident: a, t.a */
    WR_AST_STAR,        /* star: *, t.* */
    WR_AST_UNARY,       /* unary: -x, +x, NOT x */
    WR_AST_BINARY,      /* binary: x op y */
    WR_AST_IS,          /* is: x IS [NOT] NULL|TRUE|FALSE|UNKNOWN */
    WR_AST_BETWEEN,     /* between: x [NOT] BETWEEN lo AND hi */
    WR_AST_IN_LIST,     /* in_list: x [NOT] IN (a, b, ...) */
    WR_AST_IN_QUERY,    /* in_query: x [NOT] IN (SELECT ...) */
    WR_AST_EXISTS,      /* subquery: EXISTS (SELECT ...) */
    WR_AST_SUBQUERY,    /* subquery: (SELECT ...) as a scalar */
    WR_AST_LIKE,        /* like: x [NOT] LIKE pattern [ESCAPE e] */
    WR_AST_CASE,        /* case_: CASE [operand] WHEN .. THEN .. [ELSE ..] END */
    WR_AST_CAST,        /* cast: CAST(x AS type), TRY_CAST(x AS type) */
    WR_AST_CALL,        /* call: f(args), COUNT(*), COUNT(DISTINCT x) */
    WR_AST_INTERVAL,    /* interval: INTERVAL '4' SECOND */
    WR_AST_CONSTRUCTOR, /* ctor: ARRAY[a, b], MAP[k, v, ...], ROW(a, b), (a, b) */
    WR_AST_SUBSCRIPT,   /* subscript: x[i], m['key'] */
    WR_AST_FIELD,       /* field: (row).name, f(x).name, a[1].name */
} wr_ast_expr_kind;

typedef enum wr_ast_lit_kind {
    WR_LIT_NULL,
    WR_LIT_BOOL,      /* b */
    WR_LIT_INTEGER,   /* text: digits only, no sign; may exceed int64 */
    WR_LIT_DECIMAL,   /* text: digits with a '.', no exponent (1.5, .5, 2.) */
    WR_LIT_DOUBLE,    /* text: with an exponent (1e3, 1.5E-2) */
    WR_LIT_STRING,    /* text: quotes removed, '' unescaped */
    WR_LIT_TIMESTAMP, /* text: TIMESTAMP '2024-01-01 00:00:00' */
    WR_LIT_DATE,      /* text: DATE '2024-01-01' */
    WR_LIT_TIME,      /* text: TIME '12:00:00' */
    WR_LIT_BINARY,    /* text: the hex digits of X'0AFF' as written (even count) */
} wr_ast_lit_kind;

typedef enum wr_ast_op {
    /* unary */
    WR_OP_NEG,
    WR_OP_PLUS,
    WR_OP_NOT,
    /* binary, loosest first */
    WR_OP_OR,
    WR_OP_AND,
    WR_OP_EQ,
    WR_OP_NE, /* <> and != */
    WR_OP_LT,
    WR_OP_LE,
    WR_OP_GT,
    WR_OP_GE,
    WR_OP_ADD,
    WR_OP_SUB,
    WR_OP_CONCAT, /* || */
    WR_OP_MUL,
    WR_OP_DIV,
    WR_OP_MOD, /* % */
    /* binary, at the level of the comparisons */
    WR_OP_IS_DISTINCT,     /* x IS DISTINCT FROM y */
    WR_OP_IS_NOT_DISTINCT, /* x IS NOT DISTINCT FROM y */
} wr_ast_op;

typedef enum wr_ast_ctor_kind {
    WR_CTOR_ARRAY, /* ARRAY[a, b, ...] */
    WR_CTOR_MAP,   /* MAP[k1, v1, k2, v2, ...]: items alternate keys and values */
    WR_CTOR_ROW,   /* ROW(a, b, ...), or (a, b, ...) with implicit set */
} wr_ast_ctor_kind;

typedef enum wr_ast_is_what {
    WR_IS_NULL,
    WR_IS_TRUE,
    WR_IS_FALSE,
    WR_IS_UNKNOWN,
} wr_ast_is_what;

struct wr_ast_expr {
    wr_ast_expr_kind kind;
    int pos; /* byte offset of the first token */
    int end; /* byte offset just past the last token */
    union {
        struct {
            wr_ast_lit_kind kind;
            bool b;
            const char *text;
        } lit;
        struct {
            const char **parts; /* a.b.c -> {"a","b","c"} */
            int nparts;
        } ident;
        struct {
            const char *qualifier; /* NULL for a bare * */
        } star;
        struct {
            wr_ast_op op;
            wr_ast_expr *arg;
        } unary;
        struct {
            wr_ast_op op;
            wr_ast_expr *left, *right;
            int op_pos; /* offset of the operator token */
        } binary;
        struct {
            wr_ast_expr *arg;
            wr_ast_is_what what;
            bool negated;
        } is;
        struct {
            wr_ast_expr *arg, *low, *high;
            bool negated;
            bool symmetric;
        } between;
        struct {
            wr_ast_expr *arg;
            wr_ast_expr **items;
            int nitems;
            bool negated;
        } in_list;
        struct {
            wr_ast_expr *arg; /* NULL for EXISTS and scalar subqueries */
            wr_ast_query *query;
            bool negated;
        } subquery; /* WR_AST_IN_QUERY, WR_AST_EXISTS, WR_AST_SUBQUERY */
        struct {
            wr_ast_expr *arg, *pattern, *escape;
            bool negated;
            bool similar; /* SIMILAR TO */
        } like;
        struct {
            wr_ast_expr *operand; /* NULL for a searched CASE */
            wr_ast_expr **whens;
            wr_ast_expr **thens;
            int nwhens;
            wr_ast_expr *else_; /* may be NULL */
        } case_;
        struct {
            wr_ast_expr *arg;
            wr_ast_type type;
            bool try_;
        } cast;
        struct {
            const char *name; /* as written; compare without case */
            wr_ast_expr **args;
            int nargs;
            bool distinct;
            bool star;           /* COUNT(*) */
            wr_ast_expr *filter; /* FILTER (WHERE ...), or NULL */
            wr_ast_window *over; /* OVER (...) or OVER w, or NULL */
        } call;
        struct {
            const char *text;    /* the quoted value, quotes removed, e.g. "4" or "1 02:00" */
            const char *unit;    /* upper-case: SECOND, MINUTE, HOUR, DAY, MONTH, YEAR, ... */
            const char *to_unit; /* DAY TO SECOND -> "SECOND", else NULL */
            int precision;       /* SECOND(3) -> 3, else -1 */
        } interval;
        struct {
            wr_ast_ctor_kind kind;
            wr_ast_expr **items; /* at least one; MAP: an even number */
            int nitems;
            bool implicit; /* ROW written as a bare parenthesised list (a, b) */
        } ctor;
        struct {
            wr_ast_expr *arg;
            wr_ast_expr *index; /* x[index]: an array position (from 1) or a map key */
        } subscript;
        struct {
            wr_ast_expr *arg; /* never a plain identifier: a.b stays WR_AST_IDENT */
            const char *name;
            int name_pos;
        } field;
    };
};

/* ---- queries ----------------------------------------------------------- */

typedef struct wr_ast_select_item {
    wr_ast_expr *expr;
    const char *alias; /* NULL when not given */
    int alias_pos;
} wr_ast_select_item;

typedef enum wr_ast_from_kind {
    WR_FROM_TABLE,    /* table: name [FOR SYSTEM_TIME AS OF expr] [AS alias] */
    WR_FROM_SUBQUERY, /* subquery: [LATERAL] (query) [AS] alias */
    WR_FROM_JOIN,     /* join: left JOIN right ON cond | USING (cols) */
    WR_FROM_TVF,      /* tvf: [LATERAL] TABLE(f(args)) [AS alias]: window TVFs, table functions */
    WR_FROM_UNNEST,   /* unnest: UNNEST(expr, ...) [WITH ORDINALITY] [AS alias] */
} wr_ast_from_kind;

typedef enum wr_ast_join_kind {
    WR_JOIN_INNER,
    WR_JOIN_LEFT,
    WR_JOIN_RIGHT,
    WR_JOIN_FULL,
    WR_JOIN_CROSS, /* also an implicit comma join */
} wr_ast_join_kind;

typedef struct wr_ast_from wr_ast_from;

/*
 * One argument of a table-valued function, positional or named (NAME =>
 * value). A table argument is TABLE name [PARTITION BY keys]; a descriptor
 * is DESCRIPTOR(col, ...); anything else is a scalar expression.
 */
typedef enum wr_ast_tvf_arg_kind {
    WR_TVF_ARG_TABLE,
    WR_TVF_ARG_DESCRIPTOR,
    WR_TVF_ARG_EXPR,
} wr_ast_tvf_arg_kind;

typedef struct wr_ast_tvf_arg {
    wr_ast_tvf_arg_kind kind;
    int pos;          /* the value's first token */
    const char *name; /* upper-case parameter name of NAME => value, or NULL */
    int name_pos;
    wr_ast_from *table;         /* WR_TVF_ARG_TABLE: a WR_FROM_TABLE item without alias */
    wr_ast_expr **partition_by; /* WR_TVF_ARG_TABLE: TABLE t PARTITION BY k | (k1, k2) */
    int npartition_by;
    const char **columns; /* WR_TVF_ARG_DESCRIPTOR */
    int ncolumns;
    wr_ast_expr *expr; /* WR_TVF_ARG_EXPR */
} wr_ast_tvf_arg;

struct wr_ast_from {
    wr_ast_from_kind kind;
    int pos;
    const char *alias; /* NULL when not given */
    int alias_pos;
    union {
        struct {
            const char **parts; /* catalog.db.table, db.table or table */
            int nparts;
        } table;
        struct {
            wr_ast_query *query;
        } subquery;
        struct {
            wr_ast_join_kind kind;
            wr_ast_from *left, *right;
            wr_ast_expr *on; /* NULL for CROSS or USING */
            const char **using_cols;
            int nusing;
            bool natural; /* NATURAL [INNER|LEFT|RIGHT|FULL] JOIN: no ON, no USING */
        } join;
        struct {
            const char *name; /* as written (TUMBLE, HOP, CUMULATE, SESSION, f); compare
                                 without case; dotted names joined with '.' */
            int name_pos;
            wr_ast_tvf_arg *args; /* in written order */
            int nargs;
            /* Shortcuts into args, for window TVFs: the first table argument,
             * the first descriptor and the scalar arguments in written order
             * (with their names, NULL entries when positional). */
            wr_ast_from *table; /* NULL when there is no table argument */
            wr_ast_expr **partition_by;
            int npartition_by;
            const char *descriptor; /* first column of the first DESCRIPTOR, or NULL */
            int descriptor_pos;
            wr_ast_expr **exprs;
            const char **expr_names;
            int nexprs;
        } tvf;
        struct {
            wr_ast_expr **exprs; /* UNNEST(a, b): at least one */
            int nexprs;
            bool with_ordinality;
        } unnest;
    };
    /* Column names after the alias: t AS x(a, b), (VALUES ...) AS v(a). */
    const char **column_aliases;
    int ncolumn_aliases;
    bool lateral;             /* LATERAL (query), LATERAL TABLE(...) */
    wr_ast_expr *system_time; /* WR_FROM_TABLE: FOR SYSTEM_TIME AS OF expr, or NULL */
};

typedef struct wr_ast_order_item {
    wr_ast_expr *expr;
    bool desc;
    int nulls; /* 0: default, 1: NULLS FIRST, 2: NULLS LAST */
} wr_ast_order_item;

/* ---- windows (OVER) ---------------------------------------------------- */

typedef enum wr_ast_frame_kind {
    WR_FRAME_NONE, /* no ROWS / RANGE clause */
    WR_FRAME_ROWS,
    WR_FRAME_RANGE,
} wr_ast_frame_kind;

typedef enum wr_ast_bound_kind {
    WR_BOUND_NONE, /* no frame */
    WR_BOUND_UNBOUNDED_PRECEDING,
    WR_BOUND_PRECEDING, /* offset PRECEDING */
    WR_BOUND_CURRENT_ROW,
    WR_BOUND_FOLLOWING, /* offset FOLLOWING */
    WR_BOUND_UNBOUNDED_FOLLOWING,
} wr_ast_bound_kind;

typedef struct wr_ast_bound {
    wr_ast_bound_kind kind;
    wr_ast_expr *offset; /* PRECEDING / FOLLOWING: 10, INTERVAL '1' HOUR; else NULL */
    int pos;
} wr_ast_bound;

/*
 * A window specification: OVER (PARTITION BY ... ORDER BY ... frame), or a
 * reference to a named window (OVER w, name set and nothing else), or a
 * named window refined in place (OVER (w ORDER BY ...)). A frame written
 * with one bound (ROWS 10 PRECEDING) has upper CURRENT ROW, as BETWEEN
 * 10 PRECEDING AND CURRENT ROW.
 */
struct wr_ast_window {
    int pos;
    const char *name; /* referenced window, or NULL */
    int name_pos;
    wr_ast_expr **partition_by;
    int npartition_by;
    wr_ast_order_item *order_by;
    int norder_by;
    wr_ast_frame_kind frame;
    wr_ast_bound lower, upper; /* WR_BOUND_NONE without a frame */
};

typedef struct wr_ast_named_window {
    const char *name; /* WINDOW name AS (spec) */
    int pos;
    wr_ast_window *window;
} wr_ast_named_window;

/* ---- GROUP BY ---------------------------------------------------------- */

/*
 * One element of GROUP BY. A plain expression, a parenthesised grouping set
 * ((a, b), or () for the empty set), or GROUPING SETS / ROLLUP / CUBE over
 * nested elements. ROLLUP and CUBE hold only EXPR and non-empty SET
 * elements; GROUPING SETS may nest any kind.
 */
typedef enum wr_ast_group_kind {
    WR_GROUP_EXPR,          /* expr */
    WR_GROUP_SET,           /* children: EXPR elements; none for () */
    WR_GROUP_GROUPING_SETS, /* children */
    WR_GROUP_ROLLUP,        /* children */
    WR_GROUP_CUBE,          /* children */
} wr_ast_group_kind;

typedef struct wr_ast_group_elem wr_ast_group_elem;
struct wr_ast_group_elem {
    wr_ast_group_kind kind;
    int pos;
    wr_ast_expr *expr; /* WR_GROUP_EXPR */
    wr_ast_group_elem *children;
    int nchildren;
};

typedef enum wr_ast_query_kind {
    WR_QUERY_SELECT,
    WR_QUERY_VALUES,
    WR_QUERY_SETOP, /* UNION [ALL] / INTERSECT / EXCEPT */
} wr_ast_query_kind;

typedef enum wr_ast_setop {
    WR_SETOP_UNION,
    WR_SETOP_INTERSECT,
    WR_SETOP_EXCEPT,
} wr_ast_setop;

typedef struct wr_ast_cte {
    const char *name;
    int pos;
    wr_ast_query *query;
} wr_ast_cte;

struct wr_ast_query {
    wr_ast_query_kind kind;
    int pos;
    wr_ast_cte *ctes; /* WITH name AS (query), ... */
    int nctes;
    union {
        struct {
            bool distinct;
            wr_ast_select_item *items;
            int nitems;
            wr_ast_from *from; /* NULL for SELECT without FROM */
            wr_ast_expr *where;
            wr_ast_expr **group_by;
            int ngroup_by;
            wr_ast_expr *having;
            /* GROUP BY as written, one element per top-level item (NULL
             * without GROUP BY). group_by above lists the expressions of the
             * top-level EXPR and SET elements only; when has_grouping_sets is
             * set, some element is GROUPING SETS / ROLLUP / CUBE and group_by
             * alone does not describe the grouping. */
            wr_ast_group_elem *group_elems;
            int ngroup_elems;
            bool has_grouping_sets;
            wr_ast_named_window *windows; /* WINDOW w AS (...), ... */
            int nwindows;
        } select;
        struct {
            wr_ast_expr ***rows; /* rows[i][j] */
            int nrows;
            int ncols; /* every row has ncols expressions */
        } values;
        struct {
            wr_ast_setop op;
            bool all;
            wr_ast_query *left, *right;
        } setop;
    };
    /* ORDER BY / LIMIT / OFFSET apply to the whole query */
    wr_ast_order_item *order_by;
    int norder_by;
    wr_ast_expr *limit;  /* LIMIT n or FETCH FIRST n ROWS ONLY; NULL if absent */
    wr_ast_expr *offset; /* NULL if absent */
};

/* ---- statements -------------------------------------------------------- */

typedef struct wr_ast_column_def {
    const char *name;
    int pos;
    wr_ast_type type;         /* unset (name NULL) for a computed column */
    wr_ast_expr *computed;    /* name AS expr, or NULL */
    bool metadata;            /* name type METADATA [FROM 'key'] [VIRTUAL] */
    const char *metadata_key; /* NULL when FROM is absent */
    bool is_virtual;
    const char *comment; /* COMMENT '...', or NULL */
} wr_ast_column_def;

typedef struct wr_ast_option {
    const char *key;
    int key_pos;
    const char *value;
    int value_pos;
} wr_ast_option;

/* CREATE TABLE ... LIKE source (INCLUDING ALL OVERWRITING OPTIONS ...) */
typedef enum wr_ast_like_mode {
    WR_LIKE_INCLUDING,
    WR_LIKE_EXCLUDING,
    WR_LIKE_OVERWRITING, /* only with GENERATED, OPTIONS, WATERMARKS, METADATA */
} wr_ast_like_mode;

typedef enum wr_ast_like_feature {
    WR_LIKE_ALL,
    WR_LIKE_CONSTRAINTS,
    WR_LIKE_PARTITIONS,
    WR_LIKE_GENERATED,
    WR_LIKE_OPTIONS,
    WR_LIKE_WATERMARKS,
    WR_LIKE_METADATA,
} wr_ast_like_feature;

typedef struct wr_ast_like_option {
    wr_ast_like_mode mode;
    wr_ast_like_feature feature;
    int pos;
} wr_ast_like_option;

typedef enum wr_ast_alter_action {
    WR_ALTER_SET,    /* ALTER TABLE t SET ('k' = 'v', ...) */
    WR_ALTER_RESET,  /* ALTER TABLE t RESET ('k', ...): options with value NULL */
    WR_ALTER_RENAME, /* ALTER TABLE t RENAME TO u */
} wr_ast_alter_action;

/* EXPLAIN details, as bits of explain.details */
enum {
    WR_EXPLAIN_ESTIMATED_COST = 1 << 0,
    WR_EXPLAIN_CHANGELOG_MODE = 1 << 1,
    WR_EXPLAIN_PLAN_ADVICE = 1 << 2,
    WR_EXPLAIN_JSON_EXECUTION_PLAN = 1 << 3,
};

typedef enum wr_ast_stmt_kind {
    WR_STMT_CREATE_TABLE,    /* create_table */
    WR_STMT_CREATE_VIEW,     /* create_view */
    WR_STMT_DROP,            /* drop */
    WR_STMT_SET,             /* set: SET 'k' = 'v'; SET alone lists (key NULL) */
    WR_STMT_RESET,           /* set: RESET 'k'; RESET alone resets all (key NULL) */
    WR_STMT_INSERT,          /* insert */
    WR_STMT_QUERY,           /* query: SELECT / VALUES / set operation */
    WR_STMT_SHOW,            /* show */
    WR_STMT_DESCRIBE,        /* describe */
    WR_STMT_EXPLAIN,         /* explain */
    WR_STMT_STATEMENT_SET,   /* statement_set: EXECUTE STATEMENT SET BEGIN ...; END, or the
                                client form BEGIN STATEMENT SET; ...; END */
    WR_STMT_ALTER_TABLE,     /* alter_table */
    WR_STMT_CREATE_FUNCTION, /* create_function */
    WR_STMT_USE,             /* use: USE [CATALOG] name */
    WR_STMT_NOOP,            /* noop: accepted and ignored (CREATE INDEX, DROP INDEX) */
} wr_ast_stmt_kind;

typedef struct wr_ast_stmt wr_ast_stmt;

struct wr_ast_stmt {
    wr_ast_stmt_kind kind;
    int pos; /* offset of the first token */
    int end; /* offset just past the last token (before the ';') */
    union {
        struct {
            const char **name_parts;
            int nname_parts;
            int name_pos;
            bool if_not_exists;
            bool temporary;
            wr_ast_column_def *columns;
            int ncolumns;
            /* WATERMARK FOR column AS expr (at most one) */
            const char *watermark_column;
            int watermark_pos;
            wr_ast_expr *watermark_expr;
            /* PRIMARY KEY (cols) NOT ENFORCED, inline or as a constraint */
            const char **primary_key;
            int nprimary_key;
            int primary_key_pos;
            const char **partitioned_by;
            int npartitioned_by;
            int partitioned_by_pos;
            wr_ast_option *options; /* WITH (...) */
            int noptions;
            const char *comment;
            /* LIKE source [(options)]; like_parts NULL without LIKE. With LIKE
             * the column list may be omitted (ncolumns 0). */
            const char **like_parts;
            int nlike_parts;
            int like_pos;
            wr_ast_like_option *like_options;
            int nlike_options;
        } create_table;
        struct {
            const char **name_parts;
            int nname_parts;
            int name_pos;
            bool if_not_exists;
            bool temporary;
            wr_ast_query *query;
        } create_view;
        struct {
            const char *what; /* "TABLE", "VIEW", "FUNCTION" */
            const char **name_parts;
            int nname_parts;
            int name_pos;
            bool if_exists;
            bool temporary;
            bool system; /* DROP TEMPORARY SYSTEM FUNCTION */
        } drop;
        struct {
            const char *key; /* NULL when no key was given */
            int key_pos;
            const char *value;
            int value_pos;
        } set;
        struct {
            const char **table_parts;
            int ntable_parts;
            int table_pos;
            bool overwrite;
            const char **columns; /* INSERT INTO t (a, b) ..., or NULL */
            int ncolumns;
            wr_ast_query *query; /* SELECT or VALUES */
        } insert;
        struct {
            wr_ast_query *query;
        } query;
        struct {
            const char *what;        /* upper-case: TABLES, VIEWS, FUNCTIONS, CREATE TABLE, ... */
            const char **name_parts; /* SHOW CREATE TABLE name */
            int nname_parts;
            /* SHOW TABLES|VIEWS|FUNCTIONS|USER FUNCTIONS|DATABASES FROM|IN name */
            const char **from_parts;
            int nfrom_parts;
            const char *like; /* [NOT] LIKE 'pattern' on the listing shows, or NULL */
            int like_pos;
            bool not_like;
        } show;
        struct {
            const char **name_parts;
            int nname_parts;
            int name_pos;
        } describe;
        struct {
            wr_ast_stmt *stmt; /* the explained INSERT or query */
            unsigned details;  /* WR_EXPLAIN_* bits: EXPLAIN CHANGELOG_MODE, ... stmt */
        } explain;
        struct {
            wr_ast_stmt **stmts; /* INSERT statements */
            int nstmts;
        } statement_set;
        struct {
            const char **name_parts;
            int nname_parts;
            int name_pos;
            bool if_exists;
            wr_ast_alter_action action;
            wr_ast_option *options; /* SET: key = value; RESET: keys (value NULL) */
            int noptions;
            const char **new_name_parts; /* RENAME TO */
            int nnew_name_parts;
            int new_name_pos;
        } alter_table;
        struct {
            const char **name_parts;
            int nname_parts;
            int name_pos;
            bool if_not_exists;
            bool temporary;
            bool system;            /* CREATE TEMPORARY SYSTEM FUNCTION */
            const char *identifier; /* AS 'identifier': a class name, symbol or path */
            int identifier_pos;
            const char *language; /* LANGUAGE word, upper-case (JAVA, C, ...), or NULL */
            int language_pos;
            const char **jars; /* USING JAR 'path' [, JAR 'path'] */
            int *jar_pos;      /* the offset of each path */
            int njars;
        } create_function;
        struct {
            bool catalog; /* USE CATALOG name; otherwise USE [catalog.]database */
            const char **name_parts;
            int nname_parts;
            int name_pos;
        } use;
        struct {
            const char *what; /* "CREATE INDEX", "CREATE UNIQUE INDEX", "DROP INDEX" */
            const char *note; /* why nothing happens, for the user */
            const char *text; /* the statement as written */
        } noop;
    };
};

#endif
