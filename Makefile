# Weir build. `make` builds the optimized binary build/weir and libweir.a;
# `make test` installs what is missing, then runs every test (unit tests and
# SQL tests in an ASan+UBSan build, the runtime's tests also under TSan,
# end-to-end tests against the ASan build);
# `make demo` runs examples/quickstart.sql.

CC      ?= cc
CSTD    := -std=c11 -D_GNU_SOURCE
# Positional initializers of small structs (wr_type) leave their trailing fields zero.
WARN    := -Wall -Wextra -Wno-unused-parameter -Wshadow -Wstrict-prototypes -Wno-missing-field-initializers
# libpq (the jdbc connector): Debian puts its header in /usr/include/postgresql.
PQ_CFLAGS := $(shell pkg-config --cflags libpq 2>/dev/null || echo -I/usr/include/postgresql)
DEPS_CFLAGS := $(shell pkg-config --cflags libxxhash 2>/dev/null) $(PQ_CFLAGS)
LIBS    := -lxxhash -lmd -lpcre2-8 -ledit -lrdkafka -lpq -lavro -lpthread -lm

RELEASE_FLAGS := -O2 -g -DNDEBUG
ASAN_FLAGS    := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
TSAN_FLAGS    := -O1 -g -fsanitize=thread

LIB_SRC  := $(sort $(wildcard src/*/*.c))
LIB_SRC  := $(filter-out src/cli/%,$(LIB_SRC))
CLI_SRC  := $(sort $(wildcard src/cli/*.c))
TEST_SRC := $(sort $(wildcard tests/unit/test_*.c))
TEST_HELPERS := $(filter-out tests/unit/test_%,$(wildcard tests/unit/*.c))
BENCH_SRC := $(sort $(wildcard bench/*.c))
EXAMPLE_SRC := $(sort $(wildcard examples/c/*.c))

# $(call objs,dir,sources)
objs = $(patsubst %.c,$(1)/obj/%.o,$(2))

REL := build
ASN := build/asan
TSN := build/tsan

.PHONY: all asan tsan test unit slt e2e demo deps bench clean format check-format examples
all: $(REL)/weir $(REL)/libweir.a examples

# ---- release ---------------------------------------------------------------
$(REL)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) $(RELEASE_FLAGS) $(DEPS_CFLAGS) -Iinclude -MMD -MP -c $< -o $@

$(REL)/libweir.a: $(call objs,$(REL),$(LIB_SRC))
	@rm -f $@
	@ar rcs $@ $^

$(REL)/weir: $(call objs,$(REL),$(CLI_SRC)) $(REL)/libweir.a
	$(CC) $(RELEASE_FLAGS) -o $@ $^ $(LIBS)

# The C API examples link libweir like any user program.
$(REL)/examples/%: examples/c/%.c $(REL)/libweir.a include/weir.h
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) $(RELEASE_FLAGS) -Iinclude -o $@ $< $(REL)/libweir.a $(LIBS)

examples: $(patsubst examples/c/%.c,$(REL)/examples/%,$(EXAMPLE_SRC))

# ---- ASan + UBSan ----------------------------------------------------------
$(ASN)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) $(ASAN_FLAGS) $(DEPS_CFLAGS) -Iinclude -MMD -MP -c $< -o $@

$(ASN)/libweir.a: $(call objs,$(ASN),$(LIB_SRC))
	@rm -f $@
	@ar rcs $@ $^

$(ASN)/weir: $(call objs,$(ASN),$(CLI_SRC)) $(ASN)/libweir.a
	$(CC) $(ASAN_FLAGS) -o $@ $^ $(LIBS)

# -rdynamic: test_udf's CREATE FUNCTION finds descriptors among the test's own symbols.
$(ASN)/tests/%: tests/unit/%.c $(call objs,$(ASN),$(TEST_HELPERS)) $(ASN)/libweir.a
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) $(ASAN_FLAGS) $(DEPS_CFLAGS) -Iinclude -rdynamic -o $@ $^ -lcriterion $(LIBS)

$(ASN)/examples/%: examples/c/%.c $(ASN)/libweir.a include/weir.h
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) $(ASAN_FLAGS) -Iinclude -o $@ $< $(ASN)/libweir.a $(LIBS)

# Test tools (tests/tools/*.c): standalone programs the end-to-end scripts run
# beside the binary under test ($(dirname $WEIR)/tools/), such as a Kafka mock cluster.
$(ASN)/tools/%: tests/tools/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) $(ASAN_FLAGS) -o $@ $< $(LIBS)

$(REL)/tools/%: tests/tools/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) $(RELEASE_FLAGS) -o $@ $< $(LIBS)

UNIT_BINS := $(patsubst tests/unit/%.c,$(ASN)/tests/%,$(TEST_SRC))
ASAN_EXAMPLES := $(patsubst examples/c/%.c,$(ASN)/examples/%,$(EXAMPLE_SRC))
TOOL_SRC := $(sort $(wildcard tests/tools/*.c))
ASAN_TOOLS := $(patsubst tests/tools/%.c,$(ASN)/tools/%,$(TOOL_SRC))

asan: $(ASN)/weir $(UNIT_BINS) $(ASAN_EXAMPLES) $(ASAN_TOOLS)

# ---- ThreadSanitizer: the runtime's tests --------------------------------------
$(TSN)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) $(TSAN_FLAGS) $(DEPS_CFLAGS) -Iinclude -MMD -MP -c $< -o $@

$(TSN)/libweir.a: $(call objs,$(TSN),$(LIB_SRC))
	@rm -f $@
	@ar rcs $@ $^

# Criterion's runner does not start under TSan: these are plain programs.
TSAN_SRC := $(sort $(wildcard tests/tsan/*.c))
TSAN_BINS := $(patsubst tests/tsan/%.c,$(TSN)/tests/%,$(TSAN_SRC))

# They link the runtime's test operators only (the other helpers use Criterion).
TSAN_HELPERS := tests/unit/testops.c

$(TSN)/tests/%: tests/tsan/%.c $(call objs,$(TSN),$(TSAN_HELPERS)) $(TSN)/libweir.a
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) $(TSAN_FLAGS) $(DEPS_CFLAGS) -Iinclude -o $@ $^ $(LIBS)

tsan: $(TSAN_BINS)
	@for t in $(TSAN_BINS); do TSAN_OPTIONS="halt_on_error=1 exitcode=66" $$t || exit 1; done

# ---- tests -----------------------------------------------------------------
deps:
	@bash scripts/install-deps.sh

test: deps
	@$(MAKE) --no-print-directory all asan
	@$(MAKE) --no-print-directory unit tsan slt e2e

unit: $(UNIT_BINS)
	@bash scripts/run-unit.sh $(UNIT_BINS)

# SQLite's sqllogictest files, when ../shared is beside the checkout (docs/sql-dialect.md).
SLT_SQLITE := $(wildcard $(addprefix ../shared/sqllogictest/,select1.test select2.test select3.test))

slt: $(ASN)/weir
	@$(ASN)/weir slt tests/sql/*.slt
	@for mode in batch streaming; do for p in 1 4; do \
	  echo "slt: tests/sql/streaming in $$mode mode at parallelism $$p"; \
	  $(ASN)/weir slt --set execution.runtime-mode=$$mode --set parallelism.default=$$p \
	    tests/sql/streaming/*.slt || exit 1; done; done
	@if [ -n "$(SLT_SQLITE)" ]; then $(ASN)/weir slt $(SLT_SQLITE); \
	else echo "slt: ../shared/sqllogictest is not present: SQLite's select1-3 skipped"; fi

e2e: $(REL)/weir $(ASN)/weir $(ASAN_EXAMPLES) $(ASAN_TOOLS)
	@bash scripts/run-e2e.sh

demo: deps
	@$(MAKE) --no-print-directory all
	$(REL)/weir sql -f examples/quickstart.sql

bench: $(REL)/weir
	$(REL)/weir bench

format:
	clang-format -i $(LIB_SRC) $(CLI_SRC) $(TEST_SRC) $(EXAMPLE_SRC) $(TOOL_SRC) $(wildcard src/*/*.h include/*.h)

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
