\echo Use "ALTER EXTENSION campaigns UPDATE" to load this file. \quit
-- campaigns 0.1.0 -> 0.2.0: the changes to existing objects that re-running
-- the sources cannot make (make appends sql/schema/*.sql after this part).
-- Everything here runs on a 0.1.0 installation; keep it in the order of the
-- changes.  test/integration/test_upgrade.py checks that an upgraded
-- installation has exactly the objects of a fresh one.
