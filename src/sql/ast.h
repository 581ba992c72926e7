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

/* ---- types ------------------------------------------------------------- */

/*
 * A data type as written. name is upper-case and canonical: INTEGER -> INT,
 * DOUBLE PRECISION -> DOUBLE, CHARACTER VARYING -> VARCHAR, DEC/NUMERIC ->
 * DECIMAL, TIMESTAMP WITH LOCAL TIME ZONE -> TIMESTAMP_LTZ. nparams counts
 * the parenthesised numbers (VARCHAR(10): 1, DECIMAL(10, 2): 2).
 */
typedef struct wr_ast_type {
    const char *name;
    int nparams;
    int params[2];
    bool not_null;
    int pos;
} wr_ast_type;

/* ---- expressions ------------------------------------------------------- */

typedef enum wr_ast_expr_kind {
    WR_AST_LITERAL,  /* lit */
    WR_AST_IDENT,    /* ident: a, t.a */
    WR_AST_STAR,     /* star: *, t.* */
    WR_AST_UNARY,    /* unary: -x, +x, NOT x */
    WR_AST_BINARY,   /* binary: x op y */
    WR_AST_IS,       /* is: x IS [NOT] NULL|TRUE|FALSE|UNKNOWN */
    WR_AST_BETWEEN,  /* between: x [NOT] BETWEEN lo AND hi */
    WR_AST_IN_LIST,  /* in_list: x [NOT] IN (a, b, ...) */
    WR_AST_IN_QUERY, /* in_query: x [NOT] IN (SELECT ...) */
    WR_AST_EXISTS,   /* subquery: EXISTS (SELECT ...) */
    WR_AST_SUBQUERY, /* subquery: (SELECT ...) as a scalar */
    WR_AST_LIKE,     /* like: x [NOT] LIKE pattern [ESCAPE e] */
    WR_AST_CASE,     /* case_: CASE [operand] WHEN .. THEN .. [ELSE ..] END */
    WR_AST_CAST,     /* cast: CAST(x AS type), TRY_CAST(x AS type) */
    WR_AST_CALL,     /* call: f(args), COUNT(*), COUNT(DISTINCT x) */
    WR_AST_INTERVAL, /* interval: INTERVAL '4' SECOND */
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
} wr_ast_op;

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
        } call;
        struct {
            const char *text;    /* the quoted value, quotes removed, e.g. "4" or "1 02:00" */
            const char *unit;    /* upper-case: SECOND, MINUTE, HOUR, DAY, MONTH, YEAR, ... */
            const char *to_unit; /* DAY TO SECOND -> "SECOND", else NULL */
            int precision;       /* SECOND(3) -> 3, else -1 */
        } interval;
    };
};

/* ---- queries ----------------------------------------------------------- */

typedef struct wr_ast_select_item {
    wr_ast_expr *expr;
    const char *alias; /* NULL when not given */
    int alias_pos;
} wr_ast_select_item;

typedef enum wr_ast_from_kind {
    WR_FROM_TABLE,    /* table: name [AS alias] */
    WR_FROM_SUBQUERY, /* subquery: (query) [AS] alias */
    WR_FROM_JOIN,     /* join: left JOIN right ON cond | USING (cols) */
} wr_ast_from_kind;

typedef enum wr_ast_join_kind {
    WR_JOIN_INNER,
    WR_JOIN_LEFT,
    WR_JOIN_RIGHT,
    WR_JOIN_FULL,
    WR_JOIN_CROSS, /* also an implicit comma join */
} wr_ast_join_kind;

typedef struct wr_ast_from wr_ast_from;
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
        } join;
    };
};

typedef struct wr_ast_order_item {
    wr_ast_expr *expr;
    bool desc;
    int nulls; /* 0: default, 1: NULLS FIRST, 2: NULLS LAST */
} wr_ast_order_item;

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

typedef enum wr_ast_stmt_kind {
    WR_STMT_CREATE_TABLE, /* create_table */
    WR_STMT_CREATE_VIEW,  /* create_view */
    WR_STMT_DROP,         /* drop */
    WR_STMT_SET,          /* set: SET 'k' = 'v'; SET alone lists (key NULL) */
    WR_STMT_RESET,        /* set: RESET 'k'; RESET alone resets all (key NULL) */
    WR_STMT_INSERT,       /* insert */
    WR_STMT_QUERY,        /* query: SELECT / VALUES / set operation */
    WR_STMT_SHOW,         /* show */
    WR_STMT_DESCRIBE,     /* describe */
    WR_STMT_EXPLAIN,      /* explain */
    WR_STMT_STATEMENT_SET /* statement_set: EXECUTE STATEMENT SET BEGIN ...; END */
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
            wr_ast_option *options; /* WITH (...) */
            int noptions;
            const char *comment;
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
        } show;
        struct {
            const char **name_parts;
            int nname_parts;
            int name_pos;
        } describe;
        struct {
            wr_ast_stmt *stmt; /* the explained INSERT or query */
        } explain;
        struct {
            wr_ast_stmt **stmts; /* INSERT statements */
            int nstmts;
        } statement_set;
    };
};

#endif
