# Makefile for the campaigns extension (PGXS).
#
# The version lives in campaigns.control; every build checks that META.json
# and the install script agree with it.

EXTENSION = campaigns
EXTVERSION = $(shell sed -n "s/^default_version *= *'\([^']*\)'.*/\1/p" $(EXTENSION).control)

MODULE_big = campaigns
OBJS = $(patsubst %.c,%.o,$(sort $(wildcard src/*.c)))

# One install script per version, concatenated from one file per object
# (pg_partman's layout): readable diffs, one script.
SCHEMA_FILES = $(sort $(wildcard schema/*.sql))
DATA_built = sql/$(EXTENSION)--$(EXTVERSION).sql
DATA = $(wildcard sql/$(EXTENSION)--*--*.sql)

PG_CONFIG ?= pg_config

PG_CPPFLAGS = -I$(srcdir)/src $(shell curl-config --cflags)
PG_CFLAGS = -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers -Werror
SHLIB_LINK = $(shell curl-config --libs)

# Regression tests: one file per feature under test/sql, run against a
# temporary instance that preloads the library (no running cluster needed).
TESTS = $(sort $(wildcard test/sql/*.sql))
REGRESS = $(patsubst test/sql/%.sql,%,$(TESTS))
REGRESS_OPTS = --inputdir=test --outputdir=test --temp-instance=./tmp_check --temp-config=test/regress.conf --load-extension=plpgsql
ISOLATION = $(patsubst test/specs/%.spec,%,$(sort $(wildcard test/specs/*.spec)))
ISOLATION_OPTS = --inputdir=test --outputdir=test/output_iso --temp-instance=./tmp_check_iso --temp-config=test/regress.conf

EXTRA_CLEAN = sql/$(EXTENSION)--$(EXTVERSION).sql test/results test/output_iso test/regression.* tmp_check tmp_check_iso

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

all: check-meta

sql/$(EXTENSION)--$(EXTVERSION).sql: $(SCHEMA_FILES) $(EXTENSION).control
	@mkdir -p sql
	( echo '-- Generated from schema/*.sql by make; edit those files, not this one.'; \
	  for f in $(SCHEMA_FILES); do echo; echo "-- $$f"; cat $$f; done ) > $@

.PHONY: check-meta
check-meta:
	@n=$$(grep -c '"version": "$(EXTVERSION)"' META.json); \
	if [ "$$n" -ne 2 ]; then echo "META.json does not carry version $(EXTVERSION) of $(EXTENSION).control" >&2; exit 1; fi

.PHONY: gateway
gateway:
	$(MAKE) -C gateway
