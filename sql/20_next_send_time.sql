-- next_send_time and add_local_days: the send-time arithmetic in C, at its
-- boundaries and across DST changes.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS campaigns;
RESET client_min_messages;
SET timezone = 'UTC';

CREATE FUNCTION pg_temp.nst(t timestamptz, ws time, we time, tz text, days text[] DEFAULT '{mon,tue,wed,thu,fri,sat,sun}',
							lim int DEFAULT 100, ivl int DEFAULT 60, pday date DEFAULT NULL, pcount int DEFAULT 0,
							lane timestamptz DEFAULT NULL)
RETURNS text LANGUAGE sql AS $$
	SELECT to_char(x AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US"Z"') || '  local ' ||
		   to_char(x AT TIME ZONE tz, 'Dy YYYY-MM-DD HH24:MI:SS')
	  FROM campaigns.next_send_time(t, ws, we, tz, days, lim, ivl, pday, pcount, lane) x
$$;

-- Thursday 2026-11-26, UTC, window 09:00-17:00 Mon-Fri.
SELECT pg_temp.nst('2026-11-26 12:00Z', '09:00', '17:00', 'UTC', '{mon,tue,wed,thu,fri}') AS inside;
SELECT pg_temp.nst('2026-11-26 09:00Z', '09:00', '17:00', 'UTC', '{mon,tue,wed,thu,fri}') AS at_opening;
SELECT pg_temp.nst('2026-11-26 08:59:59.999999Z', '09:00', '17:00', 'UTC', '{mon,tue,wed,thu,fri}') AS just_before;
SELECT pg_temp.nst('2026-11-26 16:59:59.999999Z', '09:00', '17:00', 'UTC', '{mon,tue,wed,thu,fri}') AS last_instant;
SELECT pg_temp.nst('2026-11-26 17:00Z', '09:00', '17:00', 'UTC', '{mon,tue,wed,thu,fri}') AS at_end_is_outside;
SELECT pg_temp.nst('2026-11-27 17:00Z', '09:00', '17:00', 'UTC', '{mon,tue,wed,thu,fri}') AS friday_end_to_monday;
SELECT pg_temp.nst('2026-11-28 10:00Z', '09:00', '17:00', 'UTC', '{mon,tue,wed,thu,fri}') AS saturday_to_monday;
-- A single send day.
SELECT pg_temp.nst('2026-11-25 10:00Z', '09:00', '17:00', 'UTC', '{wed}') AS single_day_inside;
SELECT pg_temp.nst('2026-11-25 17:00Z', '09:00', '17:00', 'UTC', '{wed}') AS single_day_next_week;
-- A window ending at midnight (24:00), and a whole-day window.
SELECT pg_temp.nst('2026-11-26 23:59:59.999999Z', '22:00', '24:00', 'UTC', '{thu}') AS before_midnight;
SELECT pg_temp.nst('2026-11-27 00:00Z', '22:00', '24:00', 'UTC', '{thu}') AS midnight_is_next_day;
SELECT pg_temp.nst('2026-11-27 00:00Z', '00:00', '24:00', 'UTC', '{fri}') AS whole_day;
-- Daily limit: one below the limit, at the limit (mid-window), another day's count.
SELECT pg_temp.nst('2026-11-26 12:00Z', '09:00', '17:00', 'UTC', lim => 10, pday => '2026-11-26', pcount => 9) AS one_left;
SELECT pg_temp.nst('2026-11-26 12:00Z', '09:00', '17:00', 'UTC', lim => 10, pday => '2026-11-26', pcount => 10) AS limit_reached;
SELECT pg_temp.nst('2026-11-26 12:00Z', '09:00', '17:00', 'UTC', lim => 10, pday => '2026-11-25', pcount => 10) AS yesterday_full;
SELECT pg_temp.nst('2026-11-26 12:00Z', '09:00', '17:00', 'UTC', lim => 1, pday => '2026-11-26', pcount => 1) AS limit_one;
-- Minimum interval on the lane: exactly the interval, one microsecond short,
-- and an interval that pushes past the window end.
SELECT pg_temp.nst('2026-11-26 12:00Z', '09:00', '17:00', 'UTC', ivl => 300, lane => '2026-11-26 11:55Z') AS interval_exact;
SELECT pg_temp.nst('2026-11-26 12:00Z', '09:00', '17:00', 'UTC', ivl => 300, lane => '2026-11-26 11:55:00.000001Z') AS interval_short;
SELECT pg_temp.nst('2026-11-26 16:58Z', '09:00', '17:00', 'UTC', ivl => 3600, lane => '2026-11-26 16:30Z') AS interval_past_end;

-- America/New_York: spring forward 2026-03-08 02:00 EST -> 03:00 EDT.
SELECT pg_temp.nst('2026-03-08 05:00Z', '02:30', '04:00', 'America/New_York') AS window_opens_in_gap;
SELECT pg_temp.nst('2026-03-08 05:00Z', '02:15', '02:45', 'America/New_York') AS window_inside_gap_skips_day;
SELECT pg_temp.nst('2026-03-08 05:00Z', '09:00', '17:00', 'America/New_York') AS normal_window_after_change;
SELECT pg_temp.nst('2026-03-07 15:00Z', '09:00', '17:00', 'America/New_York') AS day_before_est;
-- Fall back 2026-11-01 02:00 EDT -> 01:00 EST: 01:30 happens twice.
SELECT pg_temp.nst('2026-11-01 04:00Z', '01:30', '04:00', 'America/New_York') AS repeated_opens_earlier;
SELECT pg_temp.nst('2026-11-01 05:50Z', '01:30', '01:45', 'America/New_York') AS after_first_pass;
SELECT pg_temp.nst('2026-11-01 06:15Z', '01:30', '01:45', 'America/New_York') AS second_pass_opening;
SELECT pg_temp.nst('2026-11-01 06:50Z', '01:30', '01:45', 'America/New_York') AS next_day;
-- Europe/London: 2026-03-29 01:00 GMT -> 02:00 BST; 2026-10-25 02:00 BST -> 01:00 GMT.
SELECT pg_temp.nst('2026-03-29 00:30Z', '01:15', '03:00', 'Europe/London') AS london_gap;
SELECT pg_temp.nst('2026-10-24 20:00Z', '09:00', '17:00', 'Europe/London', '{sun}') AS london_sunday_after_change;
-- Australia/Lord_Howe: +10:30, DST +11 (a 30-minute change) from 2026-10-04 02:00.
SELECT pg_temp.nst('2026-10-03 15:00Z', '02:10', '03:00', 'Australia/Lord_Howe') AS lord_howe_gap;
SELECT pg_temp.nst('2026-04-04 14:00Z', '01:40', '03:00', 'Australia/Lord_Howe') AS lord_howe_repeat;
-- Asia/Kathmandu (+05:45) and Asia/Kolkata (+05:30).
SELECT pg_temp.nst('2026-11-28 00:00Z', '09:00', '17:00', 'Asia/Kathmandu', '{mon,tue,wed,thu,fri}') AS kathmandu;
SELECT pg_temp.nst('2026-11-26 18:00Z', '22:00', '24:00', 'Asia/Kathmandu') AS kathmandu_late_window;
SELECT pg_temp.nst('2026-11-26 12:00Z', '09:00', '17:00', 'Asia/Kolkata') AS kolkata;
-- Infinity passes through; a null eligible gives null.
SELECT campaigns.next_send_time('infinity', '09:00', '17:00', 'UTC', '{mon}', 1, 60, NULL, 0, NULL) AS inf;
SELECT campaigns.next_send_time(NULL, '09:00', '17:00', 'UTC', '{mon}', 1, 60, NULL, 0, NULL) IS NULL AS null_eligible;

-- Errors.
\set VERBOSITY sqlstate
SELECT campaigns.next_send_time(now(), '09:00', '17:00', 'Mars/Olympus', '{mon}', 1, 60, NULL, 0, NULL);
SELECT campaigns.next_send_time(now(), '17:00', '17:00', 'UTC', '{mon}', 1, 60, NULL, 0, NULL);
SELECT campaigns.next_send_time(now(), '18:00', '17:00', 'UTC', '{mon}', 1, 60, NULL, 0, NULL);
SELECT campaigns.next_send_time(now(), '09:00', '17:00', 'UTC', '{}', 1, 60, NULL, 0, NULL);
SELECT campaigns.next_send_time(now(), '09:00', '17:00', 'UTC', '{monday}', 1, 60, NULL, 0, NULL);
SELECT campaigns.next_send_time(now(), '09:00', '17:00', 'UTC', ARRAY['mon', NULL], 1, 60, NULL, 0, NULL);
SELECT campaigns.next_send_time(now(), '09:00', '17:00', 'UTC', '{{mon},{tue}}', 1, 60, NULL, 0, NULL);
SELECT campaigns.next_send_time(now(), '09:00', '17:00', 'UTC', '{mon}', 0, 60, NULL, 0, NULL);
SELECT campaigns.next_send_time(now(), '09:00', '17:00', 'UTC', '{mon}', 1, -1, NULL, 0, NULL);
SELECT campaigns.next_send_time(now(), NULL, '17:00', 'UTC', '{mon}', 1, 60, NULL, 0, NULL);
SELECT campaigns.next_send_time(now(), '09:00', '17:00', NULL, '{mon}', 1, 60, NULL, 0, NULL);
\set VERBOSITY default

-- add_local_days keeps the local clock time across DST changes.
SELECT campaigns.add_local_days('2026-03-07 15:00Z', 1, 'America/New_York') AS ny_spring_plus1,
	   campaigns.add_local_days('2026-03-07 07:30Z', 1, 'America/New_York') AS into_gap,
	   campaigns.add_local_days('2026-10-31 05:30Z', 1, 'America/New_York') AS into_repeat_earlier,
	   campaigns.add_local_days('2026-11-02 14:00Z', -2, 'America/New_York') AS backwards,
	   campaigns.add_local_days('2026-10-24 08:00Z', 3, 'Europe/London') AS london,
	   campaigns.add_local_days('2026-10-03 12:00Z', 0, 'Australia/Lord_Howe') AS zero,
	   campaigns.add_local_days('2026-10-03 12:00Z', 1, 'Australia/Lord_Howe') AS lord_howe;
\set VERBOSITY sqlstate
SELECT campaigns.add_local_days(now(), 1, 'Nowhere/Zone');
SELECT campaigns.add_local_days(now(), 2000000, 'UTC');
\set VERBOSITY default

-- Agreement with PostgreSQL's own conversions away from DST changes: the
-- opening of the window on each of 400 days in five zones.
SELECT count(*) AS compared, count(*) FILTER (WHERE got <> want) AS mismatches FROM (
	SELECT z, d, campaigns.next_send_time((d::timestamp AT TIME ZONE z), '09:15', '17:00', z,
			'{mon,tue,wed,thu,fri,sat,sun}', 10, 60, NULL, 0, NULL) AS got,
		   ((d + time '09:15') AT TIME ZONE z) AS want
	  FROM unnest(ARRAY['America/New_York', 'Europe/London', 'Australia/Lord_Howe', 'Asia/Kathmandu', 'UTC']) z,
		   LATERAL (SELECT g::date AS d FROM generate_series(date '2026-01-01', date '2027-02-04', interval '1 day') g) dd) x;
