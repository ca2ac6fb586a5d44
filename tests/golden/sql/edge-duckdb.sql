-- levers 0.1.0: contract edge (FX/SQL) as DuckDB SQL.
-- The dataset views read the files of 2026-10 with levers' cell rules; then
-- levers_kpi(kpi, "group", numerator, denominator, value) holds every measured KPI's figures
-- and levers_challenges(id, rule, record, value) every challenge raised, as levers computes them.
CREATE OR REPLACE TEMPORARY TABLE "activity_file" AS
SELECT '2026-10' AS "_month",
       "commissioner_code",
       "end_date",
       "hrg",
       CASE WHEN ABS("minutes") <= 1000000000000000 THEN "minutes" END AS "minutes",
       "nhs_number",
       "pod",
       CASE WHEN ABS("price") <= 1000000000000000 THEN "price" END AS "price",
       "record_id",
       "specialty",
       "start_date",
       "urgent",
       CASE WHEN ABS("weight") <= 1000000000000000 THEN "weight" END AS "weight"
FROM (SELECT "commissioner_code" AS "commissioner_code",
             CASE WHEN regexp_full_match("end_date", '[0-9]{4}-[0-9]{2}-[0-9]{2}') THEN TRY_CAST("end_date" AS DATE) END AS "end_date",
             "hrg" AS "hrg",
             CASE WHEN regexp_full_match("minutes", '[+-]?[0-9]{1,16}') THEN TRY_CAST("minutes" AS BIGINT) END AS "minutes",
             "nhs_number" AS "nhs_number",
             "pod" AS "pod",
             CASE WHEN regexp_full_match("price", '-?([0-9]+([.][0-9]{1,2})?|[.][0-9]{1,2})') THEN CAST("price" AS DECIMAL(18,2)) ELSE (CASE WHEN (("price" LIKE '(%)') OR ("price" LIKE '%-%')) THEN -1 ELSE 1 END * CASE WHEN regexp_full_match(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE("price", '£', ''), ',', ''), '(', ''), ')', ''), '-', ''), ' ', ''), '[0-9]+([.][0-9]{1,2})?') THEN TRY_CAST(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE("price", '£', ''), ',', ''), '(', ''), ')', ''), '-', ''), ' ', '') AS DECIMAL(18,2)) END) END AS "price",
             "record_id" AS "record_id",
             "specialty" AS "specialty",
             CASE WHEN regexp_full_match("start_date", '[0-9]{4}-[0-9]{2}-[0-9]{2}') THEN TRY_CAST("start_date" AS DATE) END AS "start_date",
             CASE WHEN LOWER("urgent") IN ('true', 't', 'yes', 'y', '1') THEN TRUE WHEN LOWER("urgent") IN ('false', 'f', 'no', 'n', '0') THEN FALSE END AS "urgent",
             CASE WHEN regexp_full_match("weight", '[+-]?([0-9]+[.]?[0-9]{0,12}|[.][0-9]{1,12})') THEN TRY_CAST("weight" AS DECIMAL(38,12)) END AS "weight"
      FROM (SELECT NULLIF(CASE WHEN ascii("c3") BETWEEN 33 AND 126 AND ascii(right("c3", 1)) BETWEEN 33 AND 126 THEN "c3" ELSE trim("c3", chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(32) || chr(133) || chr(160) || chr(5760) || chr(8192) || chr(8193) || chr(8194) || chr(8195) || chr(8196) || chr(8197) || chr(8198) || chr(8199) || chr(8200) || chr(8201) || chr(8202) || chr(8232) || chr(8233) || chr(8239) || chr(8287) || chr(12288)) END, '') AS "commissioner_code",
                   NULLIF(CASE WHEN ascii("c8") BETWEEN 33 AND 126 AND ascii(right("c8", 1)) BETWEEN 33 AND 126 THEN "c8" ELSE trim("c8", chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(32) || chr(133) || chr(160) || chr(5760) || chr(8192) || chr(8193) || chr(8194) || chr(8195) || chr(8196) || chr(8197) || chr(8198) || chr(8199) || chr(8200) || chr(8201) || chr(8202) || chr(8232) || chr(8233) || chr(8239) || chr(8287) || chr(12288)) END, '') AS "end_date",
                   NULLIF(CASE WHEN ascii("c6") BETWEEN 33 AND 126 AND ascii(right("c6", 1)) BETWEEN 33 AND 126 THEN "c6" ELSE trim("c6", chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(32) || chr(133) || chr(160) || chr(5760) || chr(8192) || chr(8193) || chr(8194) || chr(8195) || chr(8196) || chr(8197) || chr(8198) || chr(8199) || chr(8200) || chr(8201) || chr(8202) || chr(8232) || chr(8233) || chr(8239) || chr(8287) || chr(12288)) END, '') AS "hrg",
                   NULLIF(CASE WHEN ascii("c9") BETWEEN 33 AND 126 AND ascii(right("c9", 1)) BETWEEN 33 AND 126 THEN "c9" ELSE trim("c9", chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(32) || chr(133) || chr(160) || chr(5760) || chr(8192) || chr(8193) || chr(8194) || chr(8195) || chr(8196) || chr(8197) || chr(8198) || chr(8199) || chr(8200) || chr(8201) || chr(8202) || chr(8232) || chr(8233) || chr(8239) || chr(8287) || chr(12288)) END, '') AS "minutes",
                   NULLIF(CASE WHEN ascii("c2") BETWEEN 33 AND 126 AND ascii(right("c2", 1)) BETWEEN 33 AND 126 THEN "c2" ELSE trim("c2", chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(32) || chr(133) || chr(160) || chr(5760) || chr(8192) || chr(8193) || chr(8194) || chr(8195) || chr(8196) || chr(8197) || chr(8198) || chr(8199) || chr(8200) || chr(8201) || chr(8202) || chr(8232) || chr(8233) || chr(8239) || chr(8287) || chr(12288)) END, '') AS "nhs_number",
                   NULLIF(CASE WHEN ascii("c4") BETWEEN 33 AND 126 AND ascii(right("c4", 1)) BETWEEN 33 AND 126 THEN "c4" ELSE trim("c4", chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(32) || chr(133) || chr(160) || chr(5760) || chr(8192) || chr(8193) || chr(8194) || chr(8195) || chr(8196) || chr(8197) || chr(8198) || chr(8199) || chr(8200) || chr(8201) || chr(8202) || chr(8232) || chr(8233) || chr(8239) || chr(8287) || chr(12288)) END, '') AS "pod",
                   NULLIF(CASE WHEN ascii("c12") BETWEEN 33 AND 126 AND ascii(right("c12", 1)) BETWEEN 33 AND 126 THEN "c12" ELSE trim("c12", chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(32) || chr(133) || chr(160) || chr(5760) || chr(8192) || chr(8193) || chr(8194) || chr(8195) || chr(8196) || chr(8197) || chr(8198) || chr(8199) || chr(8200) || chr(8201) || chr(8202) || chr(8232) || chr(8233) || chr(8239) || chr(8287) || chr(12288)) END, '') AS "price",
                   NULLIF(CASE WHEN ascii("c1") BETWEEN 33 AND 126 AND ascii(right("c1", 1)) BETWEEN 33 AND 126 THEN "c1" ELSE trim("c1", chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(32) || chr(133) || chr(160) || chr(5760) || chr(8192) || chr(8193) || chr(8194) || chr(8195) || chr(8196) || chr(8197) || chr(8198) || chr(8199) || chr(8200) || chr(8201) || chr(8202) || chr(8232) || chr(8233) || chr(8239) || chr(8287) || chr(12288)) END, '') AS "record_id",
                   NULLIF(CASE WHEN ascii("c5") BETWEEN 33 AND 126 AND ascii(right("c5", 1)) BETWEEN 33 AND 126 THEN "c5" ELSE trim("c5", chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(32) || chr(133) || chr(160) || chr(5760) || chr(8192) || chr(8193) || chr(8194) || chr(8195) || chr(8196) || chr(8197) || chr(8198) || chr(8199) || chr(8200) || chr(8201) || chr(8202) || chr(8232) || chr(8233) || chr(8239) || chr(8287) || chr(12288)) END, '') AS "specialty",
                   NULLIF(CASE WHEN ascii("c7") BETWEEN 33 AND 126 AND ascii(right("c7", 1)) BETWEEN 33 AND 126 THEN "c7" ELSE trim("c7", chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(32) || chr(133) || chr(160) || chr(5760) || chr(8192) || chr(8193) || chr(8194) || chr(8195) || chr(8196) || chr(8197) || chr(8198) || chr(8199) || chr(8200) || chr(8201) || chr(8202) || chr(8232) || chr(8233) || chr(8239) || chr(8287) || chr(12288)) END, '') AS "start_date",
                   NULLIF(CASE WHEN ascii("c10") BETWEEN 33 AND 126 AND ascii(right("c10", 1)) BETWEEN 33 AND 126 THEN "c10" ELSE trim("c10", chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(32) || chr(133) || chr(160) || chr(5760) || chr(8192) || chr(8193) || chr(8194) || chr(8195) || chr(8196) || chr(8197) || chr(8198) || chr(8199) || chr(8200) || chr(8201) || chr(8202) || chr(8232) || chr(8233) || chr(8239) || chr(8287) || chr(12288)) END, '') AS "urgent",
                   NULLIF(CASE WHEN ascii("c11") BETWEEN 33 AND 126 AND ascii(right("c11", 1)) BETWEEN 33 AND 126 THEN "c11" ELSE trim("c11", chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(32) || chr(133) || chr(160) || chr(5760) || chr(8192) || chr(8193) || chr(8194) || chr(8195) || chr(8196) || chr(8197) || chr(8198) || chr(8199) || chr(8200) || chr(8201) || chr(8202) || chr(8232) || chr(8233) || chr(8239) || chr(8287) || chr(12288)) END, '') AS "weight"
            FROM read_csv('<workspace>/contracts/edge/data/activity/2026-10.csv', header = true, delim = ',', quote = '"', escape = '"', all_varchar = true, auto_detect = false, columns = {'c1': 'VARCHAR', 'c2': 'VARCHAR', 'c3': 'VARCHAR', 'c4': 'VARCHAR', 'c5': 'VARCHAR', 'c6': 'VARCHAR', 'c7': 'VARCHAR', 'c8': 'VARCHAR', 'c9': 'VARCHAR', 'c10': 'VARCHAR', 'c11': 'VARCHAR', 'c12': 'VARCHAR', 'c13': 'VARCHAR'})) cells) parsed;
CREATE OR REPLACE VIEW "activity" AS
SELECT rowid + 1 AS "_row", * FROM "activity_file";
CREATE OR REPLACE TEMPORARY TABLE "visits_file" AS
SELECT '2026-10' AS "_month",
       CASE WHEN ABS("fee") <= 1000000000000000 THEN "fee" END AS "fee",
       "on_time",
       "team",
       "visit_date",
       CASE WHEN ABS("visit_id") <= 1000000000000000 THEN "visit_id" END AS "visit_id"
FROM (SELECT CASE WHEN regexp_full_match("fee", '-?([0-9]+([.][0-9]{1,2})?|[.][0-9]{1,2})') THEN CAST("fee" AS DECIMAL(18,2)) ELSE (CASE WHEN (("fee" LIKE '(%)') OR ("fee" LIKE '%-%')) THEN -1 ELSE 1 END * CASE WHEN regexp_full_match(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE("fee", '£', ''), ',', ''), '(', ''), ')', ''), '-', ''), ' ', ''), '[0-9]+([.][0-9]{1,2})?') THEN TRY_CAST(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE("fee", '£', ''), ',', ''), '(', ''), ')', ''), '-', ''), ' ', '') AS DECIMAL(18,2)) END) END AS "fee",
             CASE WHEN LOWER("on_time") IN ('true', 't', 'yes', 'y', '1') THEN TRUE WHEN LOWER("on_time") IN ('false', 'f', 'no', 'n', '0') THEN FALSE END AS "on_time",
             "team" AS "team",
             CASE WHEN regexp_full_match("visit_date", '[0-9]{1,2}[/][0-9]{1,2}[/][0-9]{4}') THEN CAST(try_strptime("visit_date", '%d/%m/%Y') AS DATE) END AS "visit_date",
             CASE WHEN regexp_full_match("visit_id", '[+-]?[0-9]{1,16}') THEN TRY_CAST("visit_id" AS BIGINT) END AS "visit_id"
      FROM (SELECT NULLIF(CASE WHEN ascii("c5") BETWEEN 33 AND 126 AND ascii(right("c5", 1)) BETWEEN 33 AND 126 THEN "c5" ELSE trim("c5", chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(32) || chr(133) || chr(160) || chr(5760) || chr(8192) || chr(8193) || chr(8194) || chr(8195) || chr(8196) || chr(8197) || chr(8198) || chr(8199) || chr(8200) || chr(8201) || chr(8202) || chr(8232) || chr(8233) || chr(8239) || chr(8287) || chr(12288)) END, '') AS "fee",
                   NULLIF(CASE WHEN ascii("c4") BETWEEN 33 AND 126 AND ascii(right("c4", 1)) BETWEEN 33 AND 126 THEN "c4" ELSE trim("c4", chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(32) || chr(133) || chr(160) || chr(5760) || chr(8192) || chr(8193) || chr(8194) || chr(8195) || chr(8196) || chr(8197) || chr(8198) || chr(8199) || chr(8200) || chr(8201) || chr(8202) || chr(8232) || chr(8233) || chr(8239) || chr(8287) || chr(12288)) END, '') AS "on_time",
                   NULLIF(CASE WHEN ascii("c2") BETWEEN 33 AND 126 AND ascii(right("c2", 1)) BETWEEN 33 AND 126 THEN "c2" ELSE trim("c2", chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(32) || chr(133) || chr(160) || chr(5760) || chr(8192) || chr(8193) || chr(8194) || chr(8195) || chr(8196) || chr(8197) || chr(8198) || chr(8199) || chr(8200) || chr(8201) || chr(8202) || chr(8232) || chr(8233) || chr(8239) || chr(8287) || chr(12288)) END, '') AS "team",
                   NULLIF(CASE WHEN ascii("c3") BETWEEN 33 AND 126 AND ascii(right("c3", 1)) BETWEEN 33 AND 126 THEN "c3" ELSE trim("c3", chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(32) || chr(133) || chr(160) || chr(5760) || chr(8192) || chr(8193) || chr(8194) || chr(8195) || chr(8196) || chr(8197) || chr(8198) || chr(8199) || chr(8200) || chr(8201) || chr(8202) || chr(8232) || chr(8233) || chr(8239) || chr(8287) || chr(12288)) END, '') AS "visit_date",
                   NULLIF(CASE WHEN ascii("c1") BETWEEN 33 AND 126 AND ascii(right("c1", 1)) BETWEEN 33 AND 126 THEN "c1" ELSE trim("c1", chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(32) || chr(133) || chr(160) || chr(5760) || chr(8192) || chr(8193) || chr(8194) || chr(8195) || chr(8196) || chr(8197) || chr(8198) || chr(8199) || chr(8200) || chr(8201) || chr(8202) || chr(8232) || chr(8233) || chr(8239) || chr(8287) || chr(12288)) END, '') AS "visit_id"
            FROM read_csv('<workspace>/contracts/edge/data/visits/2026-10.csv', header = true, delim = ',', quote = '"', escape = '"', all_varchar = true, auto_detect = false, columns = {'c1': 'VARCHAR', 'c2': 'VARCHAR', 'c3': 'VARCHAR', 'c4': 'VARCHAR', 'c5': 'VARCHAR'})) cells) parsed;
CREATE OR REPLACE VIEW "visits" AS
SELECT rowid + 1 AS "_row", * FROM "visits_file";
CREATE OR REPLACE VIEW "levers_kpi" AS
WITH "activity_sums" AS (SELECT SUM(CASE WHEN (("pod" = 'AE') AND ("minutes" <= 240)) THEN 1 ELSE 0 END) AS k0_n,
         SUM(CASE WHEN ("pod" = 'AE') THEN 1 ELSE 0 END) AS k0_d,
         SUM(CASE WHEN ("urgent" AND ("minutes" > 600)) THEN 1 ELSE 0 END) AS k2_n,
         SUM(CASE WHEN ("pod" LIKE 'OP%') THEN "price" END) AS k3_s,
         SUM(CASE WHEN ("pod" <> 'BIG') THEN (COALESCE("weight", 1) * "minutes") END) AS k4_s,
         SUM(CASE WHEN ("pod" IN ('EL', 'NEL')) THEN date_diff('day', "start_date", "end_date") END) AS k5_s,
         COUNT(CASE WHEN ("pod" IN ('EL', 'NEL')) THEN date_diff('day', "start_date", "end_date") END) AS k5_c,
         SUM(CASE WHEN ("pod" = 'BIG') THEN "minutes" END) AS k7_s,
         COUNT(CASE WHEN ("pod" = 'BIG') THEN "minutes" END) AS k7_c,
         SUM(CASE WHEN ((((UPPER(COALESCE("pod", 'x')) IN ('AE', 'NEL')) AND (CAST(MONTH("start_date") AS BIGINT) BETWEEN 1 AND 12)) AND (CAST(length(TRIM("record_id")) AS BIGINT) > 3)) AND ((NOT ("hrg" LIKE 'A_0%')) OR ("hrg" IS NULL))) THEN 1 ELSE 0 END) AS k9_n,
         SUM(CASE WHEN (((UPPER(COALESCE("pod", 'x')) IN ('AE', 'NEL')) AND (CAST(MONTH("start_date") AS BIGINT) BETWEEN 1 AND 12)) AND (CAST(length(TRIM("record_id")) AS BIGINT) > 3)) THEN 1 ELSE 0 END) AS k9_d,
         SUM(CASE WHEN ((("pod" = 'NONE') OR ("pod" <> "pod")) AND ("minutes" < 10)) THEN 1 ELSE 0 END) AS k11_n,
         SUM(CASE WHEN (("pod" = 'NONE') OR ("pod" <> "pod")) THEN 1 ELSE 0 END) AS k11_d,
         SUM(CASE WHEN ((("start_date" >= DATE '2026-10-15') AND (NOT (("pod" = "pod") IS NULL))) AND ("start_date" NOT BETWEEN DATE '2026-10-20' AND DATE '2026-10-25')) THEN 1 ELSE 0 END) AS k13_n,
         SUM(CASE WHEN (("start_date" >= DATE '2026-10-15') AND (NOT (("pod" = "pod") IS NULL))) THEN 1 ELSE 0 END) AS k13_d
  FROM "activity"),
"visits_sums" AS (SELECT SUM(CASE WHEN (("visit_date" >= DATE '2026-10-15') AND (COALESCE("on_time", FALSE) = FALSE)) THEN 1 ELSE 0 END) AS k0_n
  FROM "visits")
SELECT CAST('ae-4hr' AS VARCHAR) AS kpi, CAST(NULL AS VARCHAR) AS "group", CAST(COALESCE(k0_n, 0) AS BIGINT) AS numerator, CAST(COALESCE(k0_d, 0) AS BIGINT) AS denominator, CAST(CASE WHEN COALESCE(k0_d, 0) = 0 THEN NULL ELSE CAST(CAST(CASE WHEN COALESCE(k0_n, 0) < 0 THEN -1 ELSE 1 END * ((2 * ABS(CAST(replace(CAST(CAST(COALESCE(k0_n, 0) AS DECIMAL(38,12)) AS VARCHAR), '.', '') AS HUGEINT)) + COALESCE(k0_d, 0)) // (2 * COALESCE(k0_d, 0))) AS DECIMAL(38,0)) * 0.000000000001 AS DECIMAL(38,12)) END AS DECIMAL(38,12)) AS value FROM "activity_sums"
UNION ALL
SELECT CAST('fu-ratio' AS VARCHAR) AS kpi, CAST(g AS VARCHAR) AS "group", CAST(n AS BIGINT) AS numerator, CAST(d AS BIGINT) AS denominator, CAST(CASE WHEN d = 0 THEN NULL ELSE CAST(CAST(CASE WHEN n < 0 THEN -1 ELSE 1 END * ((2 * ABS(CAST(replace(CAST(CAST(n AS DECIMAL(38,12)) AS VARCHAR), '.', '') AS HUGEINT)) + d) // (2 * d)) AS DECIMAL(38,0)) * 0.000000000001 AS DECIMAL(38,12)) END AS DECIMAL(38,12)) AS value FROM (SELECT COALESCE("specialty", '') AS g, SUM(CASE WHEN ("pod" = 'OPFU') THEN 1 ELSE 0 END) AS n, SUM(CASE WHEN ("pod" = 'OPFA') THEN 1 ELSE 0 END) AS d FROM "activity" WHERE (("pod" = 'OPFU') OR ("pod" = 'OPFA')) GROUP BY "specialty") grouped
UNION ALL
SELECT CAST('fu-ratio-gated' AS VARCHAR) AS kpi, CAST(g AS VARCHAR) AS "group", CAST(n AS BIGINT) AS numerator, CAST(d AS BIGINT) AS denominator, CAST(CASE WHEN d = 0 THEN NULL ELSE CAST(CAST(CASE WHEN n < 0 THEN -1 ELSE 1 END * ((2 * ABS(CAST(replace(CAST(CAST(n AS DECIMAL(38,12)) AS VARCHAR), '.', '') AS HUGEINT)) + d) // (2 * d)) AS DECIMAL(38,0)) * 0.000000000001 AS DECIMAL(38,12)) END AS DECIMAL(38,12)) AS value FROM (SELECT COALESCE(CAST(CAST(YEAR("start_date") AS BIGINT) AS VARCHAR), '') AS g, SUM(CASE WHEN (("commissioner_code" = '15N') AND ("pod" = 'OPFU')) THEN 1 ELSE 0 END) AS n, SUM(CASE WHEN (("commissioner_code" = '15N') AND ("pod" = 'OPFA')) THEN 1 ELSE 0 END) AS d FROM "activity" WHERE ("commissioner_code" = '15N') AND (("pod" = 'OPFU') OR ("pod" = 'OPFA')) GROUP BY CAST(CAST(YEAR("start_date") AS BIGINT) AS VARCHAR)) grouped
UNION ALL
SELECT CAST('urgent-long' AS VARCHAR) AS kpi, CAST(NULL AS VARCHAR) AS "group", CAST(NULL AS BIGINT) AS numerator, CAST(NULL AS BIGINT) AS denominator, CAST(COALESCE(k2_n, 0) AS DECIMAL(38,12)) AS value FROM "activity_sums"
UNION ALL
SELECT CAST('outpatient-spend' AS VARCHAR) AS kpi, CAST(NULL AS VARCHAR) AS "group", CAST(NULL AS BIGINT) AS numerator, CAST(NULL AS BIGINT) AS denominator, CAST(COALESCE(k3_s, 0) AS DECIMAL(38,12)) AS value FROM "activity_sums"
UNION ALL
SELECT CAST('weighted' AS VARCHAR) AS kpi, CAST(NULL AS VARCHAR) AS "group", CAST(NULL AS BIGINT) AS numerator, CAST(NULL AS BIGINT) AS denominator, CAST(COALESCE(k4_s, 0) AS DECIMAL(38,12)) AS value FROM "activity_sums"
UNION ALL
SELECT CAST('los-mean' AS VARCHAR) AS kpi, CAST(NULL AS VARCHAR) AS "group", CAST(NULL AS BIGINT) AS numerator, CAST(NULL AS BIGINT) AS denominator, CAST(CASE WHEN k5_c = 0 THEN NULL ELSE CAST(CAST(CASE WHEN k5_s < 0 THEN -1 ELSE 1 END * ((2 * ABS(CAST(replace(CAST(CAST(k5_s AS DECIMAL(38,12)) AS VARCHAR), '.', '') AS HUGEINT)) + k5_c) // (2 * k5_c)) AS DECIMAL(38,0)) * 0.000000000001 AS DECIMAL(38,12)) END AS DECIMAL(38,12)) AS value FROM "activity_sums"
UNION ALL
SELECT CAST('big-mean' AS VARCHAR) AS kpi, CAST(NULL AS VARCHAR) AS "group", CAST(NULL AS BIGINT) AS numerator, CAST(NULL AS BIGINT) AS denominator, CAST(CASE WHEN k7_c = 0 THEN NULL ELSE CAST(CAST(CASE WHEN k7_s < 0 THEN -1 ELSE 1 END * ((2 * ABS(CAST(replace(CAST(CAST(k7_s AS DECIMAL(38,12)) AS VARCHAR), '.', '') AS HUGEINT)) + k7_c) // (2 * k7_c)) AS DECIMAL(38,0)) * 0.000000000001 AS DECIMAL(38,12)) END AS DECIMAL(38,12)) AS value FROM "activity_sums"
UNION ALL
SELECT CAST('minutes-median' AS VARCHAR) AS kpi, CAST(NULL AS VARCHAR) AS "group", CAST(NULL AS BIGINT) AS numerator, CAST(NULL AS BIGINT) AS denominator, CAST(x AS DECIMAL(38,12)) AS value FROM (SELECT (MIN(v) + MAX(v)) * 0.5 AS x FROM (SELECT v, ROW_NUMBER() OVER (ORDER BY v) AS r, COUNT(*) OVER () AS n FROM (SELECT "minutes" AS v FROM "activity") gated WHERE v IS NOT NULL) ranked WHERE r IN (((n + 1) // (2)), ((n + 2) // (2)))) picked
UNION ALL
SELECT CAST('price-p95' AS VARCHAR) AS kpi, CAST(NULL AS VARCHAR) AS "group", CAST(NULL AS BIGINT) AS numerator, CAST(NULL AS BIGINT) AS denominator, CAST(x AS DECIMAL(38,12)) AS value FROM (SELECT MIN(v) AS x FROM (SELECT v, ROW_NUMBER() OVER (ORDER BY v) AS r, COUNT(*) OVER () AS n FROM (SELECT "price" AS v FROM "activity") gated WHERE v IS NOT NULL) ranked WHERE r = CASE WHEN ((95 * n + 99) // (100)) < 1 THEN 1 ELSE ((95 * n + 99) // (100)) END) picked
UNION ALL
SELECT CAST('price-p1' AS VARCHAR) AS kpi, CAST(NULL AS VARCHAR) AS "group", CAST(NULL AS BIGINT) AS numerator, CAST(NULL AS BIGINT) AS denominator, CAST(x AS DECIMAL(38,12)) AS value FROM (SELECT MIN(v) AS x FROM (SELECT v, ROW_NUMBER() OVER (ORDER BY v) AS r, COUNT(*) OVER () AS n FROM (SELECT "price" AS v FROM "activity") gated WHERE v IS NOT NULL) ranked WHERE r = CASE WHEN ((1 * n + 99) // (100)) < 1 THEN 1 ELSE ((1 * n + 99) // (100)) END) picked
UNION ALL
SELECT CAST('coded' AS VARCHAR) AS kpi, CAST(NULL AS VARCHAR) AS "group", CAST(COALESCE(k9_n, 0) AS BIGINT) AS numerator, CAST(COALESCE(k9_d, 0) AS BIGINT) AS denominator, CAST(CASE WHEN COALESCE(k9_d, 0) = 0 THEN NULL ELSE CAST(CAST(CASE WHEN COALESCE(k9_n, 0) < 0 THEN -1 ELSE 1 END * ((2 * ABS(CAST(replace(CAST(CAST(COALESCE(k9_n, 0) AS DECIMAL(38,12)) AS VARCHAR), '.', '') AS HUGEINT)) + COALESCE(k9_d, 0)) // (2 * COALESCE(k9_d, 0))) AS DECIMAL(38,0)) * 0.000000000001 AS DECIMAL(38,12)) END AS DECIMAL(38,12)) AS value FROM "activity_sums"
UNION ALL
SELECT CAST('nothing' AS VARCHAR) AS kpi, CAST(NULL AS VARCHAR) AS "group", CAST(COALESCE(k11_n, 0) AS BIGINT) AS numerator, CAST(COALESCE(k11_d, 0) AS BIGINT) AS denominator, CAST(CASE WHEN COALESCE(k11_d, 0) = 0 THEN NULL ELSE CAST(CAST(CASE WHEN COALESCE(k11_n, 0) < 0 THEN -1 ELSE 1 END * ((2 * ABS(CAST(replace(CAST(CAST(COALESCE(k11_n, 0) AS DECIMAL(38,12)) AS VARCHAR), '.', '') AS HUGEINT)) + COALESCE(k11_d, 0)) // (2 * COALESCE(k11_d, 0))) AS DECIMAL(38,0)) * 0.000000000001 AS DECIMAL(38,12)) END AS DECIMAL(38,12)) AS value FROM "activity_sums"
UNION ALL
SELECT CAST('dates' AS VARCHAR) AS kpi, CAST(NULL AS VARCHAR) AS "group", CAST(COALESCE(k13_n, 0) AS BIGINT) AS numerator, CAST(COALESCE(k13_d, 0) AS BIGINT) AS denominator, CAST(CASE WHEN COALESCE(k13_d, 0) = 0 THEN NULL ELSE CAST(CAST(CASE WHEN COALESCE(k13_n, 0) < 0 THEN -1 ELSE 1 END * ((2 * ABS(CAST(replace(CAST(CAST(COALESCE(k13_n, 0) AS DECIMAL(38,12)) AS VARCHAR), '.', '') AS HUGEINT)) + COALESCE(k13_d, 0)) // (2 * COALESCE(k13_d, 0))) AS DECIMAL(38,0)) * 0.000000000001 AS DECIMAL(38,12)) END AS DECIMAL(38,12)) AS value FROM "activity_sums"
UNION ALL
SELECT CAST('visits-on-time' AS VARCHAR) AS kpi, CAST(g AS VARCHAR) AS "group", CAST(n AS BIGINT) AS numerator, CAST(d AS BIGINT) AS denominator, CAST(CASE WHEN d = 0 THEN NULL ELSE CAST(CAST(CASE WHEN n < 0 THEN -1 ELSE 1 END * ((2 * ABS(CAST(replace(CAST(CAST(n AS DECIMAL(38,12)) AS VARCHAR), '.', '') AS HUGEINT)) + d) // (2 * d)) AS DECIMAL(38,0)) * 0.000000000001 AS DECIMAL(38,12)) END AS DECIMAL(38,12)) AS value FROM (SELECT COALESCE(CAST("visit_date" AS VARCHAR), '') AS g, SUM(CASE WHEN (("team" IS NOT NULL) AND ("on_time" = TRUE)) THEN 1 ELSE 0 END) AS n, SUM(CASE WHEN ("team" IS NOT NULL) THEN 1 ELSE 0 END) AS d FROM "visits" WHERE ("team" IS NOT NULL) GROUP BY CAST("visit_date" AS VARCHAR)) grouped
UNION ALL
SELECT CAST('visits-late-month' AS VARCHAR) AS kpi, CAST(NULL AS VARCHAR) AS "group", CAST(NULL AS BIGINT) AS numerator, CAST(NULL AS BIGINT) AS denominator, CAST(COALESCE(k0_n, 0) AS DECIMAL(38,12)) AS value FROM "visits_sums";
CREATE OR REPLACE VIEW "levers_challenges" AS
WITH "activity_challenged" AS (SELECT windowed.*, CASE WHEN (("price" > 1000) AND ("pod" <> 'NEL')) THEN 'expensive' WHEN ("commissioner_code" NOT IN ('15N')) THEN 'responsible-commissioner' WHEN ("_dp2" = 1 AND "_dn2" > 1) THEN 'duplicate' WHEN (("nhs_number" IS NULL) OR (NOT (regexp_full_match(REPLACE(REPLACE("nhs_number", ' ', ''), '-', ''), '[0-9]{10}') AND ((11 - (((ASCII(SUBSTRING(REPLACE(REPLACE("nhs_number", ' ', ''), '-', ''), 1, 1)) - 48) * 10 + (ASCII(SUBSTRING(REPLACE(REPLACE("nhs_number", ' ', ''), '-', ''), 2, 1)) - 48) * 9 + (ASCII(SUBSTRING(REPLACE(REPLACE("nhs_number", ' ', ''), '-', ''), 3, 1)) - 48) * 8 + (ASCII(SUBSTRING(REPLACE(REPLACE("nhs_number", ' ', ''), '-', ''), 4, 1)) - 48) * 7 + (ASCII(SUBSTRING(REPLACE(REPLACE("nhs_number", ' ', ''), '-', ''), 5, 1)) - 48) * 6 + (ASCII(SUBSTRING(REPLACE(REPLACE("nhs_number", ' ', ''), '-', ''), 6, 1)) - 48) * 5 + (ASCII(SUBSTRING(REPLACE(REPLACE("nhs_number", ' ', ''), '-', ''), 7, 1)) - 48) * 4 + (ASCII(SUBSTRING(REPLACE(REPLACE("nhs_number", ' ', ''), '-', ''), 8, 1)) - 48) * 3 + (ASCII(SUBSTRING(REPLACE(REPLACE("nhs_number", ' ', ''), '-', ''), 9, 1)) - 48) * 2) % 11)) % 11) = (ASCII(SUBSTRING(REPLACE(REPLACE("nhs_number", ' ', ''), '-', ''), 10, 1)) - 48)))) THEN 'invalid-nhs-number' END AS "_rule" FROM (SELECT "activity".*, CASE WHEN (("pod" <> 'AE') AND "nhs_number" IS NOT NULL AND "pod" IS NOT NULL AND "start_date" IS NOT NULL) THEN 1 ELSE 0 END AS "_dp2", ROW_NUMBER() OVER (PARTITION BY CASE WHEN (("pod" <> 'AE') AND "nhs_number" IS NOT NULL AND "pod" IS NOT NULL AND "start_date" IS NOT NULL) THEN 1 ELSE 0 END, "nhs_number", "pod", "start_date" ORDER BY "_row") AS "_dn2" FROM "activity") windowed),
"visits_challenged" AS (SELECT windowed.*, CASE WHEN ("_dp0" = 1 AND "_dn0" > 1) THEN 'duplicate-visit' END AS "_rule" FROM (SELECT "visits".*, CASE WHEN ("team" IS NOT NULL AND "visit_date" IS NOT NULL) THEN 1 ELSE 0 END AS "_dp0", ROW_NUMBER() OVER (PARTITION BY CASE WHEN ("team" IS NOT NULL AND "visit_date" IS NOT NULL) THEN 1 ELSE 0 END, "team", "visit_date" ORDER BY "_row") AS "_dn0" FROM "visits") windowed)
SELECT ("_month" || '/' || "_rule" || '/' || record) AS id, "_rule" AS rule, record, CAST(SUM(v) AS DECIMAL(18,2)) AS value
FROM (SELECT "_month", "_rule", COALESCE("record_id", ('line-' || CAST(("_row" + 1) AS VARCHAR))) AS record, COALESCE("price", 0) AS v FROM "activity_challenged" WHERE "_rule" IS NOT NULL) taken
GROUP BY "_month", "_rule", record
UNION ALL
SELECT ("_month" || '/' || 'fu-ratio' || '/' || g) AS id, 'fu-ratio' AS rule, g AS record, CAST(CAST(CASE WHEN CAST(nv * 100 AS BIGINT) * CAST(excess AS BIGINT) < 0 THEN -1 ELSE 1 END * ((2 * ABS(CAST(nv * 100 AS BIGINT) * CAST(excess AS BIGINT)) + n) // (2 * n)) AS BIGINT) * 0.01 AS DECIMAL(18,2)) AS value
FROM (SELECT "_month", g, n, nv, n - FLOOR(1.5 * d) AS excess
      FROM (SELECT "_month", "specialty" AS g, SUM(CASE WHEN ("pod" = 'OPFU') THEN 1 ELSE 0 END) AS n, SUM(CASE WHEN ("pod" = 'OPFA') THEN 1 ELSE 0 END) AS d, SUM(CASE WHEN ("pod" = 'OPFU') THEN COALESCE("price", 0) ELSE 0 END) AS nv
            FROM "activity_challenged"
            WHERE "_rule" IS NULL AND (("pod" = 'OPFU') OR ("pod" = 'OPFA')) AND "specialty" IS NOT NULL
            GROUP BY "_month", "specialty") tallied) capped
WHERE excess > 0 AND n > 0
UNION ALL
SELECT ("_month" || '/' || "_rule" || '/' || record) AS id, "_rule" AS rule, record, CAST(SUM(v) AS DECIMAL(18,2)) AS value
FROM (SELECT "_month", "_rule", COALESCE(CAST("visit_id" AS VARCHAR), ('line-' || CAST(("_row" + 1) AS VARCHAR))) AS record, COALESCE("fee", 0) AS v FROM "visits_challenged" WHERE "_rule" IS NOT NULL) taken
GROUP BY "_month", "_rule", record;
