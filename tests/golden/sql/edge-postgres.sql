-- levers 0.1.0: contract edge (FX/SQL) as PostgreSQL SQL.
-- The dataset views read the files of 2026-10 with levers' cell rules; then
-- levers_kpi(kpi, "group", numerator, denominator, value) holds every measured KPI's figures
-- and levers_challenges(id, rule, record, value) every challenge raised, as levers computes them.
CREATE OR REPLACE FUNCTION pg_temp.levers_date(cell TEXT, form TEXT) RETURNS DATE LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE d DATE;
BEGIN
  d := to_date(cell, form);
  -- to_date rolls 31 February over into March: a date must print back as it was written
  IF to_char(d, form) <> cell AND to_char(d, replace(replace(form, 'DD', 'FMDD'), 'MM', 'FMMM')) <> cell THEN RETURN NULL; END IF;
  RETURN d;
EXCEPTION WHEN others THEN RETURN NULL;
END $$;
DROP TABLE IF EXISTS "activity_file" CASCADE;
CREATE TEMPORARY TABLE "activity_file" ("_row" BIGINT GENERATED ALWAYS AS IDENTITY, "c1" TEXT, "c2" TEXT, "c3" TEXT, "c4" TEXT, "c5" TEXT, "c6" TEXT, "c7" TEXT, "c8" TEXT, "c9" TEXT, "c10" TEXT, "c11" TEXT, "c12" TEXT, "c13" TEXT);
COPY "activity_file" ("c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9", "c10", "c11", "c12", "c13") FROM '<workspace>/contracts/edge/data/activity/2026-10.csv' WITH (FORMAT csv, HEADER true, ENCODING 'UTF8');
CREATE OR REPLACE TEMPORARY VIEW "activity" AS
SELECT "_row",
       '2026-10' AS "_month",
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
FROM (SELECT "_row",
             "commissioner_code" AS "commissioner_code",
             CASE WHEN ("end_date" ~ '^([0-9]{4}-[0-9]{2}-[0-9]{2})$') THEN pg_temp.levers_date("end_date", 'YYYY-MM-DD') END AS "end_date",
             "hrg" AS "hrg",
             CASE WHEN ("minutes" ~ '^([+-]?[0-9]{1,16})$') THEN CAST("minutes" AS BIGINT) END AS "minutes",
             "nhs_number" AS "nhs_number",
             "pod" AS "pod",
             CASE WHEN ("price" ~ '^(-?([0-9]+([.][0-9]{1,2})?|[.][0-9]{1,2}))$') THEN CAST("price" AS NUMERIC(18,2)) ELSE (CASE WHEN ((("price" COLLATE "C") LIKE '(%)') OR (("price" COLLATE "C") LIKE '%-%')) THEN -1 ELSE 1 END * CASE WHEN (REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE("price", '£', ''), ',', ''), '(', ''), ')', ''), '-', ''), ' ', '') ~ '^([0-9]+([.][0-9]{1,2})?)$') THEN CAST(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE("price", '£', ''), ',', ''), '(', ''), ')', ''), '-', ''), ' ', '') AS NUMERIC(18,2)) END) END AS "price",
             "record_id" AS "record_id",
             "specialty" AS "specialty",
             CASE WHEN ("start_date" ~ '^([0-9]{4}-[0-9]{2}-[0-9]{2})$') THEN pg_temp.levers_date("start_date", 'YYYY-MM-DD') END AS "start_date",
             CASE WHEN LOWER("urgent") IN ('true', 't', 'yes', 'y', '1') THEN TRUE WHEN LOWER("urgent") IN ('false', 'f', 'no', 'n', '0') THEN FALSE END AS "urgent",
             CASE WHEN ("weight" ~ '^([+-]?([0-9]+[.]?[0-9]{0,12}|[.][0-9]{1,12}))$') THEN CAST("weight" AS NUMERIC(38,12)) END AS "weight"
      FROM (SELECT "_row" AS "_row",
                   NULLIF(CASE WHEN ascii("c3") BETWEEN 33 AND 126 AND ascii(right("c3", 1)) BETWEEN 33 AND 126 THEN "c3" ELSE btrim("c3", chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(32) || chr(133) || chr(160) || chr(5760) || chr(8192) || chr(8193) || chr(8194) || chr(8195) || chr(8196) || chr(8197) || chr(8198) || chr(8199) || chr(8200) || chr(8201) || chr(8202) || chr(8232) || chr(8233) || chr(8239) || chr(8287) || chr(12288)) END, '') AS "commissioner_code",
                   NULLIF(CASE WHEN ascii("c8") BETWEEN 33 AND 126 AND ascii(right("c8", 1)) BETWEEN 33 AND 126 THEN "c8" ELSE btrim("c8", chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(32) || chr(133) || chr(160) || chr(5760) || chr(8192) || chr(8193) || chr(8194) || chr(8195) || chr(8196) || chr(8197) || chr(8198) || chr(8199) || chr(8200) || chr(8201) || chr(8202) || chr(8232) || chr(8233) || chr(8239) || chr(8287) || chr(12288)) END, '') AS "end_date",
                   NULLIF(CASE WHEN ascii("c6") BETWEEN 33 AND 126 AND ascii(right("c6", 1)) BETWEEN 33 AND 126 THEN "c6" ELSE btrim("c6", chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(32) || chr(133) || chr(160) || chr(5760) || chr(8192) || chr(8193) || chr(8194) || chr(8195) || chr(8196) || chr(8197) || chr(8198) || chr(8199) || chr(8200) || chr(8201) || chr(8202) || chr(8232) || chr(8233) || chr(8239) || chr(8287) || chr(12288)) END, '') AS "hrg",
                   NULLIF(CASE WHEN ascii("c9") BETWEEN 33 AND 126 AND ascii(right("c9", 1)) BETWEEN 33 AND 126 THEN "c9" ELSE btrim("c9", chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(32) || chr(133) || chr(160) || chr(5760) || chr(8192) || chr(8193) || chr(8194) || chr(8195) || chr(8196) || chr(8197) || chr(8198) || chr(8199) || chr(8200) || chr(8201) || chr(8202) || chr(8232) || chr(8233) || chr(8239) || chr(8287) || chr(12288)) END, '') AS "minutes",
                   NULLIF(CASE WHEN ascii("c2") BETWEEN 33 AND 126 AND ascii(right("c2", 1)) BETWEEN 33 AND 126 THEN "c2" ELSE btrim("c2", chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(32) || chr(133) || chr(160) || chr(5760) || chr(8192) || chr(8193) || chr(8194) || chr(8195) || chr(8196) || chr(8197) || chr(8198) || chr(8199) || chr(8200) || chr(8201) || chr(8202) || chr(8232) || chr(8233) || chr(8239) || chr(8287) || chr(12288)) END, '') AS "nhs_number",
                   NULLIF(CASE WHEN ascii("c4") BETWEEN 33 AND 126 AND ascii(right("c4", 1)) BETWEEN 33 AND 126 THEN "c4" ELSE btrim("c4", chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(32) || chr(133) || chr(160) || chr(5760) || chr(8192) || chr(8193) || chr(8194) || chr(8195) || chr(8196) || chr(8197) || chr(8198) || chr(8199) || chr(8200) || chr(8201) || chr(8202) || chr(8232) || chr(8233) || chr(8239) || chr(8287) || chr(12288)) END, '') AS "pod",
                   NULLIF(CASE WHEN ascii("c12") BETWEEN 33 AND 126 AND ascii(right("c12", 1)) BETWEEN 33 AND 126 THEN "c12" ELSE btrim("c12", chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(32) || chr(133) || chr(160) || chr(5760) || chr(8192) || chr(8193) || chr(8194) || chr(8195) || chr(8196) || chr(8197) || chr(8198) || chr(8199) || chr(8200) || chr(8201) || chr(8202) || chr(8232) || chr(8233) || chr(8239) || chr(8287) || chr(12288)) END, '') AS "price",
                   NULLIF(CASE WHEN ascii("c1") BETWEEN 33 AND 126 AND ascii(right("c1", 1)) BETWEEN 33 AND 126 THEN "c1" ELSE btrim("c1", chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(32) || chr(133) || chr(160) || chr(5760) || chr(8192) || chr(8193) || chr(8194) || chr(8195) || chr(8196) || chr(8197) || chr(8198) || chr(8199) || chr(8200) || chr(8201) || chr(8202) || chr(8232) || chr(8233) || chr(8239) || chr(8287) || chr(12288)) END, '') AS "record_id",
                   NULLIF(CASE WHEN ascii("c5") BETWEEN 33 AND 126 AND ascii(right("c5", 1)) BETWEEN 33 AND 126 THEN "c5" ELSE btrim("c5", chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(32) || chr(133) || chr(160) || chr(5760) || chr(8192) || chr(8193) || chr(8194) || chr(8195) || chr(8196) || chr(8197) || chr(8198) || chr(8199) || chr(8200) || chr(8201) || chr(8202) || chr(8232) || chr(8233) || chr(8239) || chr(8287) || chr(12288)) END, '') AS "specialty",
                   NULLIF(CASE WHEN ascii("c7") BETWEEN 33 AND 126 AND ascii(right("c7", 1)) BETWEEN 33 AND 126 THEN "c7" ELSE btrim("c7", chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(32) || chr(133) || chr(160) || chr(5760) || chr(8192) || chr(8193) || chr(8194) || chr(8195) || chr(8196) || chr(8197) || chr(8198) || chr(8199) || chr(8200) || chr(8201) || chr(8202) || chr(8232) || chr(8233) || chr(8239) || chr(8287) || chr(12288)) END, '') AS "start_date",
                   NULLIF(CASE WHEN ascii("c10") BETWEEN 33 AND 126 AND ascii(right("c10", 1)) BETWEEN 33 AND 126 THEN "c10" ELSE btrim("c10", chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(32) || chr(133) || chr(160) || chr(5760) || chr(8192) || chr(8193) || chr(8194) || chr(8195) || chr(8196) || chr(8197) || chr(8198) || chr(8199) || chr(8200) || chr(8201) || chr(8202) || chr(8232) || chr(8233) || chr(8239) || chr(8287) || chr(12288)) END, '') AS "urgent",
                   NULLIF(CASE WHEN ascii("c11") BETWEEN 33 AND 126 AND ascii(right("c11", 1)) BETWEEN 33 AND 126 THEN "c11" ELSE btrim("c11", chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(32) || chr(133) || chr(160) || chr(5760) || chr(8192) || chr(8193) || chr(8194) || chr(8195) || chr(8196) || chr(8197) || chr(8198) || chr(8199) || chr(8200) || chr(8201) || chr(8202) || chr(8232) || chr(8233) || chr(8239) || chr(8287) || chr(12288)) END, '') AS "weight"
            FROM "activity_file") cells) parsed;
DROP TABLE IF EXISTS "visits_file" CASCADE;
CREATE TEMPORARY TABLE "visits_file" ("_row" BIGINT GENERATED ALWAYS AS IDENTITY, "c1" TEXT, "c2" TEXT, "c3" TEXT, "c4" TEXT, "c5" TEXT);
COPY "visits_file" ("c1", "c2", "c3", "c4", "c5") FROM '<workspace>/contracts/edge/data/visits/2026-10.csv' WITH (FORMAT csv, HEADER true, ENCODING 'UTF8');
CREATE OR REPLACE TEMPORARY VIEW "visits" AS
SELECT "_row",
       '2026-10' AS "_month",
       CASE WHEN ABS("fee") <= 1000000000000000 THEN "fee" END AS "fee",
       "on_time",
       "team",
       "visit_date",
       CASE WHEN ABS("visit_id") <= 1000000000000000 THEN "visit_id" END AS "visit_id"
FROM (SELECT "_row",
             CASE WHEN ("fee" ~ '^(-?([0-9]+([.][0-9]{1,2})?|[.][0-9]{1,2}))$') THEN CAST("fee" AS NUMERIC(18,2)) ELSE (CASE WHEN ((("fee" COLLATE "C") LIKE '(%)') OR (("fee" COLLATE "C") LIKE '%-%')) THEN -1 ELSE 1 END * CASE WHEN (REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE("fee", '£', ''), ',', ''), '(', ''), ')', ''), '-', ''), ' ', '') ~ '^([0-9]+([.][0-9]{1,2})?)$') THEN CAST(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE("fee", '£', ''), ',', ''), '(', ''), ')', ''), '-', ''), ' ', '') AS NUMERIC(18,2)) END) END AS "fee",
             CASE WHEN LOWER("on_time") IN ('true', 't', 'yes', 'y', '1') THEN TRUE WHEN LOWER("on_time") IN ('false', 'f', 'no', 'n', '0') THEN FALSE END AS "on_time",
             "team" AS "team",
             CASE WHEN ("visit_date" ~ '^([0-9]{1,2}[/][0-9]{1,2}[/][0-9]{4})$') THEN pg_temp.levers_date("visit_date", 'DD/MM/YYYY') END AS "visit_date",
             CASE WHEN ("visit_id" ~ '^([+-]?[0-9]{1,16})$') THEN CAST("visit_id" AS BIGINT) END AS "visit_id"
      FROM (SELECT "_row" AS "_row",
                   NULLIF(CASE WHEN ascii("c5") BETWEEN 33 AND 126 AND ascii(right("c5", 1)) BETWEEN 33 AND 126 THEN "c5" ELSE btrim("c5", chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(32) || chr(133) || chr(160) || chr(5760) || chr(8192) || chr(8193) || chr(8194) || chr(8195) || chr(8196) || chr(8197) || chr(8198) || chr(8199) || chr(8200) || chr(8201) || chr(8202) || chr(8232) || chr(8233) || chr(8239) || chr(8287) || chr(12288)) END, '') AS "fee",
                   NULLIF(CASE WHEN ascii("c4") BETWEEN 33 AND 126 AND ascii(right("c4", 1)) BETWEEN 33 AND 126 THEN "c4" ELSE btrim("c4", chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(32) || chr(133) || chr(160) || chr(5760) || chr(8192) || chr(8193) || chr(8194) || chr(8195) || chr(8196) || chr(8197) || chr(8198) || chr(8199) || chr(8200) || chr(8201) || chr(8202) || chr(8232) || chr(8233) || chr(8239) || chr(8287) || chr(12288)) END, '') AS "on_time",
                   NULLIF(CASE WHEN ascii("c2") BETWEEN 33 AND 126 AND ascii(right("c2", 1)) BETWEEN 33 AND 126 THEN "c2" ELSE btrim("c2", chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(32) || chr(133) || chr(160) || chr(5760) || chr(8192) || chr(8193) || chr(8194) || chr(8195) || chr(8196) || chr(8197) || chr(8198) || chr(8199) || chr(8200) || chr(8201) || chr(8202) || chr(8232) || chr(8233) || chr(8239) || chr(8287) || chr(12288)) END, '') AS "team",
                   NULLIF(CASE WHEN ascii("c3") BETWEEN 33 AND 126 AND ascii(right("c3", 1)) BETWEEN 33 AND 126 THEN "c3" ELSE btrim("c3", chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(32) || chr(133) || chr(160) || chr(5760) || chr(8192) || chr(8193) || chr(8194) || chr(8195) || chr(8196) || chr(8197) || chr(8198) || chr(8199) || chr(8200) || chr(8201) || chr(8202) || chr(8232) || chr(8233) || chr(8239) || chr(8287) || chr(12288)) END, '') AS "visit_date",
                   NULLIF(CASE WHEN ascii("c1") BETWEEN 33 AND 126 AND ascii(right("c1", 1)) BETWEEN 33 AND 126 THEN "c1" ELSE btrim("c1", chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(32) || chr(133) || chr(160) || chr(5760) || chr(8192) || chr(8193) || chr(8194) || chr(8195) || chr(8196) || chr(8197) || chr(8198) || chr(8199) || chr(8200) || chr(8201) || chr(8202) || chr(8232) || chr(8233) || chr(8239) || chr(8287) || chr(12288)) END, '') AS "visit_id"
            FROM "visits_file") cells) parsed;
CREATE OR REPLACE TEMPORARY VIEW "levers_kpi" AS
WITH "activity_sums" AS (SELECT SUM(CASE WHEN ((("pod" COLLATE "C") = 'AE') AND ("minutes" <= 240)) THEN 1 ELSE 0 END) AS k0_n,
         SUM(CASE WHEN (("pod" COLLATE "C") = 'AE') THEN 1 ELSE 0 END) AS k0_d,
         SUM(CASE WHEN ("urgent" AND ("minutes" > 600)) THEN 1 ELSE 0 END) AS k2_n,
         SUM(CASE WHEN (("pod" COLLATE "C") LIKE 'OP%') THEN "price" END) AS k3_s,
         SUM(CASE WHEN (("pod" COLLATE "C") <> 'BIG') THEN (COALESCE("weight", 1) * "minutes") END) AS k4_s,
         SUM(CASE WHEN (("pod" COLLATE "C") IN ('EL', 'NEL')) THEN CAST(("end_date") - ("start_date") AS BIGINT) END) AS k5_s,
         COUNT(CASE WHEN (("pod" COLLATE "C") IN ('EL', 'NEL')) THEN CAST(("end_date") - ("start_date") AS BIGINT) END) AS k5_c,
         SUM(CASE WHEN (("pod" COLLATE "C") = 'BIG') THEN "minutes" END) AS k7_s,
         COUNT(CASE WHEN (("pod" COLLATE "C") = 'BIG') THEN "minutes" END) AS k7_c,
         SUM(CASE WHEN (((((UPPER(COALESCE("pod", 'x')) COLLATE "C") IN ('AE', 'NEL')) AND (CAST(EXTRACT(MONTH FROM "start_date") AS BIGINT) BETWEEN 1 AND 12)) AND (CAST(char_length(TRIM("record_id")) AS BIGINT) > 3)) AND ((NOT (("hrg" COLLATE "C") LIKE 'A_0%')) OR ("hrg" IS NULL))) THEN 1 ELSE 0 END) AS k9_n,
         SUM(CASE WHEN ((((UPPER(COALESCE("pod", 'x')) COLLATE "C") IN ('AE', 'NEL')) AND (CAST(EXTRACT(MONTH FROM "start_date") AS BIGINT) BETWEEN 1 AND 12)) AND (CAST(char_length(TRIM("record_id")) AS BIGINT) > 3)) THEN 1 ELSE 0 END) AS k9_d,
         SUM(CASE WHEN (((("pod" COLLATE "C") = 'NONE') OR (("pod" COLLATE "C") <> ("pod" COLLATE "C"))) AND ("minutes" < 10)) THEN 1 ELSE 0 END) AS k11_n,
         SUM(CASE WHEN ((("pod" COLLATE "C") = 'NONE') OR (("pod" COLLATE "C") <> ("pod" COLLATE "C"))) THEN 1 ELSE 0 END) AS k11_d,
         SUM(CASE WHEN ((("start_date" >= DATE '2026-10-15') AND (NOT ((("pod" COLLATE "C") = ("pod" COLLATE "C")) IS NULL))) AND ("start_date" NOT BETWEEN DATE '2026-10-20' AND DATE '2026-10-25')) THEN 1 ELSE 0 END) AS k13_n,
         SUM(CASE WHEN (("start_date" >= DATE '2026-10-15') AND (NOT ((("pod" COLLATE "C") = ("pod" COLLATE "C")) IS NULL))) THEN 1 ELSE 0 END) AS k13_d
  FROM "activity"),
"visits_sums" AS (SELECT SUM(CASE WHEN (("visit_date" >= DATE '2026-10-15') AND (COALESCE("on_time", FALSE) = FALSE)) THEN 1 ELSE 0 END) AS k0_n
  FROM "visits")
SELECT CAST('ae-4hr' AS TEXT) AS kpi, CAST(NULL AS TEXT) AS "group", CAST(COALESCE(k0_n, 0) AS BIGINT) AS numerator, CAST(COALESCE(k0_d, 0) AS BIGINT) AS denominator, CAST(CASE WHEN COALESCE(k0_d, 0) = 0 THEN NULL ELSE CAST(CAST(div(CAST(COALESCE(k0_n, 0) AS NUMERIC) * 2000000000000 + sign(CAST(COALESCE(k0_n, 0) AS NUMERIC)) * COALESCE(k0_d, 0), CAST(2 * COALESCE(k0_d, 0) AS NUMERIC)) AS NUMERIC(38,0)) * 0.000000000001 AS NUMERIC(38,12)) END AS NUMERIC(38,12)) AS value FROM "activity_sums"
UNION ALL
SELECT CAST('fu-ratio' AS TEXT) AS kpi, CAST(g AS TEXT) AS "group", CAST(n AS BIGINT) AS numerator, CAST(d AS BIGINT) AS denominator, CAST(CASE WHEN d = 0 THEN NULL ELSE CAST(CAST(div(CAST(n AS NUMERIC) * 2000000000000 + sign(CAST(n AS NUMERIC)) * d, CAST(2 * d AS NUMERIC)) AS NUMERIC(38,0)) * 0.000000000001 AS NUMERIC(38,12)) END AS NUMERIC(38,12)) AS value FROM (SELECT COALESCE("specialty", '') AS g, SUM(CASE WHEN (("pod" COLLATE "C") = 'OPFU') THEN 1 ELSE 0 END) AS n, SUM(CASE WHEN (("pod" COLLATE "C") = 'OPFA') THEN 1 ELSE 0 END) AS d FROM "activity" WHERE ((("pod" COLLATE "C") = 'OPFU') OR (("pod" COLLATE "C") = 'OPFA')) GROUP BY "specialty") grouped
UNION ALL
SELECT CAST('fu-ratio-gated' AS TEXT) AS kpi, CAST(g AS TEXT) AS "group", CAST(n AS BIGINT) AS numerator, CAST(d AS BIGINT) AS denominator, CAST(CASE WHEN d = 0 THEN NULL ELSE CAST(CAST(div(CAST(n AS NUMERIC) * 2000000000000 + sign(CAST(n AS NUMERIC)) * d, CAST(2 * d AS NUMERIC)) AS NUMERIC(38,0)) * 0.000000000001 AS NUMERIC(38,12)) END AS NUMERIC(38,12)) AS value FROM (SELECT COALESCE(CAST(CAST(EXTRACT(YEAR FROM "start_date") AS BIGINT) AS TEXT), '') AS g, SUM(CASE WHEN ((("commissioner_code" COLLATE "C") = '15N') AND (("pod" COLLATE "C") = 'OPFU')) THEN 1 ELSE 0 END) AS n, SUM(CASE WHEN ((("commissioner_code" COLLATE "C") = '15N') AND (("pod" COLLATE "C") = 'OPFA')) THEN 1 ELSE 0 END) AS d FROM "activity" WHERE (("commissioner_code" COLLATE "C") = '15N') AND ((("pod" COLLATE "C") = 'OPFU') OR (("pod" COLLATE "C") = 'OPFA')) GROUP BY CAST(CAST(EXTRACT(YEAR FROM "start_date") AS BIGINT) AS TEXT)) grouped
UNION ALL
SELECT CAST('urgent-long' AS TEXT) AS kpi, CAST(NULL AS TEXT) AS "group", CAST(NULL AS BIGINT) AS numerator, CAST(NULL AS BIGINT) AS denominator, CAST(COALESCE(k2_n, 0) AS NUMERIC(38,12)) AS value FROM "activity_sums"
UNION ALL
SELECT CAST('outpatient-spend' AS TEXT) AS kpi, CAST(NULL AS TEXT) AS "group", CAST(NULL AS BIGINT) AS numerator, CAST(NULL AS BIGINT) AS denominator, CAST(COALESCE(k3_s, 0) AS NUMERIC(38,12)) AS value FROM "activity_sums"
UNION ALL
SELECT CAST('weighted' AS TEXT) AS kpi, CAST(NULL AS TEXT) AS "group", CAST(NULL AS BIGINT) AS numerator, CAST(NULL AS BIGINT) AS denominator, CAST(COALESCE(k4_s, 0) AS NUMERIC(38,12)) AS value FROM "activity_sums"
UNION ALL
SELECT CAST('los-mean' AS TEXT) AS kpi, CAST(NULL AS TEXT) AS "group", CAST(NULL AS BIGINT) AS numerator, CAST(NULL AS BIGINT) AS denominator, CAST(CASE WHEN k5_c = 0 THEN NULL ELSE CAST(CAST(div(CAST(k5_s AS NUMERIC) * 2000000000000 + sign(CAST(k5_s AS NUMERIC)) * k5_c, CAST(2 * k5_c AS NUMERIC)) AS NUMERIC(38,0)) * 0.000000000001 AS NUMERIC(38,12)) END AS NUMERIC(38,12)) AS value FROM "activity_sums"
UNION ALL
SELECT CAST('big-mean' AS TEXT) AS kpi, CAST(NULL AS TEXT) AS "group", CAST(NULL AS BIGINT) AS numerator, CAST(NULL AS BIGINT) AS denominator, CAST(CASE WHEN k7_c = 0 THEN NULL ELSE CAST(CAST(div(CAST(k7_s AS NUMERIC) * 2000000000000 + sign(CAST(k7_s AS NUMERIC)) * k7_c, CAST(2 * k7_c AS NUMERIC)) AS NUMERIC(38,0)) * 0.000000000001 AS NUMERIC(38,12)) END AS NUMERIC(38,12)) AS value FROM "activity_sums"
UNION ALL
SELECT CAST('minutes-median' AS TEXT) AS kpi, CAST(NULL AS TEXT) AS "group", CAST(NULL AS BIGINT) AS numerator, CAST(NULL AS BIGINT) AS denominator, CAST(x AS NUMERIC(38,12)) AS value FROM (SELECT (MIN(v) + MAX(v)) * 0.5 AS x FROM (SELECT v, ROW_NUMBER() OVER (ORDER BY v) AS r, COUNT(*) OVER () AS n FROM (SELECT "minutes" AS v FROM "activity") gated WHERE v IS NOT NULL) ranked WHERE r IN (((n + 1) / (2)), ((n + 2) / (2)))) picked
UNION ALL
SELECT CAST('price-p95' AS TEXT) AS kpi, CAST(NULL AS TEXT) AS "group", CAST(NULL AS BIGINT) AS numerator, CAST(NULL AS BIGINT) AS denominator, CAST(x AS NUMERIC(38,12)) AS value FROM (SELECT MIN(v) AS x FROM (SELECT v, ROW_NUMBER() OVER (ORDER BY v) AS r, COUNT(*) OVER () AS n FROM (SELECT "price" AS v FROM "activity") gated WHERE v IS NOT NULL) ranked WHERE r = CASE WHEN ((95 * n + 99) / (100)) < 1 THEN 1 ELSE ((95 * n + 99) / (100)) END) picked
UNION ALL
SELECT CAST('price-p1' AS TEXT) AS kpi, CAST(NULL AS TEXT) AS "group", CAST(NULL AS BIGINT) AS numerator, CAST(NULL AS BIGINT) AS denominator, CAST(x AS NUMERIC(38,12)) AS value FROM (SELECT MIN(v) AS x FROM (SELECT v, ROW_NUMBER() OVER (ORDER BY v) AS r, COUNT(*) OVER () AS n FROM (SELECT "price" AS v FROM "activity") gated WHERE v IS NOT NULL) ranked WHERE r = CASE WHEN ((1 * n + 99) / (100)) < 1 THEN 1 ELSE ((1 * n + 99) / (100)) END) picked
UNION ALL
SELECT CAST('coded' AS TEXT) AS kpi, CAST(NULL AS TEXT) AS "group", CAST(COALESCE(k9_n, 0) AS BIGINT) AS numerator, CAST(COALESCE(k9_d, 0) AS BIGINT) AS denominator, CAST(CASE WHEN COALESCE(k9_d, 0) = 0 THEN NULL ELSE CAST(CAST(div(CAST(COALESCE(k9_n, 0) AS NUMERIC) * 2000000000000 + sign(CAST(COALESCE(k9_n, 0) AS NUMERIC)) * COALESCE(k9_d, 0), CAST(2 * COALESCE(k9_d, 0) AS NUMERIC)) AS NUMERIC(38,0)) * 0.000000000001 AS NUMERIC(38,12)) END AS NUMERIC(38,12)) AS value FROM "activity_sums"
UNION ALL
SELECT CAST('nothing' AS TEXT) AS kpi, CAST(NULL AS TEXT) AS "group", CAST(COALESCE(k11_n, 0) AS BIGINT) AS numerator, CAST(COALESCE(k11_d, 0) AS BIGINT) AS denominator, CAST(CASE WHEN COALESCE(k11_d, 0) = 0 THEN NULL ELSE CAST(CAST(div(CAST(COALESCE(k11_n, 0) AS NUMERIC) * 2000000000000 + sign(CAST(COALESCE(k11_n, 0) AS NUMERIC)) * COALESCE(k11_d, 0), CAST(2 * COALESCE(k11_d, 0) AS NUMERIC)) AS NUMERIC(38,0)) * 0.000000000001 AS NUMERIC(38,12)) END AS NUMERIC(38,12)) AS value FROM "activity_sums"
UNION ALL
SELECT CAST('dates' AS TEXT) AS kpi, CAST(NULL AS TEXT) AS "group", CAST(COALESCE(k13_n, 0) AS BIGINT) AS numerator, CAST(COALESCE(k13_d, 0) AS BIGINT) AS denominator, CAST(CASE WHEN COALESCE(k13_d, 0) = 0 THEN NULL ELSE CAST(CAST(div(CAST(COALESCE(k13_n, 0) AS NUMERIC) * 2000000000000 + sign(CAST(COALESCE(k13_n, 0) AS NUMERIC)) * COALESCE(k13_d, 0), CAST(2 * COALESCE(k13_d, 0) AS NUMERIC)) AS NUMERIC(38,0)) * 0.000000000001 AS NUMERIC(38,12)) END AS NUMERIC(38,12)) AS value FROM "activity_sums"
UNION ALL
SELECT CAST('visits-on-time' AS TEXT) AS kpi, CAST(g AS TEXT) AS "group", CAST(n AS BIGINT) AS numerator, CAST(d AS BIGINT) AS denominator, CAST(CASE WHEN d = 0 THEN NULL ELSE CAST(CAST(div(CAST(n AS NUMERIC) * 2000000000000 + sign(CAST(n AS NUMERIC)) * d, CAST(2 * d AS NUMERIC)) AS NUMERIC(38,0)) * 0.000000000001 AS NUMERIC(38,12)) END AS NUMERIC(38,12)) AS value FROM (SELECT COALESCE(to_char("visit_date", 'YYYY-MM-DD'), '') AS g, SUM(CASE WHEN (("team" IS NOT NULL) AND ("on_time" = TRUE)) THEN 1 ELSE 0 END) AS n, SUM(CASE WHEN ("team" IS NOT NULL) THEN 1 ELSE 0 END) AS d FROM "visits" WHERE ("team" IS NOT NULL) GROUP BY to_char("visit_date", 'YYYY-MM-DD')) grouped
UNION ALL
SELECT CAST('visits-late-month' AS TEXT) AS kpi, CAST(NULL AS TEXT) AS "group", CAST(NULL AS BIGINT) AS numerator, CAST(NULL AS BIGINT) AS denominator, CAST(COALESCE(k0_n, 0) AS NUMERIC(38,12)) AS value FROM "visits_sums";
CREATE OR REPLACE TEMPORARY VIEW "levers_challenges" AS
WITH "activity_challenged" AS (SELECT windowed.*, CASE WHEN (("price" > 1000) AND (("pod" COLLATE "C") <> 'NEL')) THEN 'expensive' WHEN (("commissioner_code" COLLATE "C") NOT IN ('15N')) THEN 'responsible-commissioner' WHEN ("_dp2" = 1 AND "_dn2" > 1) THEN 'duplicate' WHEN (("nhs_number" IS NULL) OR (NOT ((REPLACE(REPLACE("nhs_number", ' ', ''), '-', '') ~ '^([0-9]{10})$') AND ((11 - (((ASCII(SUBSTRING(REPLACE(REPLACE("nhs_number", ' ', ''), '-', ''), 1, 1)) - 48) * 10 + (ASCII(SUBSTRING(REPLACE(REPLACE("nhs_number", ' ', ''), '-', ''), 2, 1)) - 48) * 9 + (ASCII(SUBSTRING(REPLACE(REPLACE("nhs_number", ' ', ''), '-', ''), 3, 1)) - 48) * 8 + (ASCII(SUBSTRING(REPLACE(REPLACE("nhs_number", ' ', ''), '-', ''), 4, 1)) - 48) * 7 + (ASCII(SUBSTRING(REPLACE(REPLACE("nhs_number", ' ', ''), '-', ''), 5, 1)) - 48) * 6 + (ASCII(SUBSTRING(REPLACE(REPLACE("nhs_number", ' ', ''), '-', ''), 6, 1)) - 48) * 5 + (ASCII(SUBSTRING(REPLACE(REPLACE("nhs_number", ' ', ''), '-', ''), 7, 1)) - 48) * 4 + (ASCII(SUBSTRING(REPLACE(REPLACE("nhs_number", ' ', ''), '-', ''), 8, 1)) - 48) * 3 + (ASCII(SUBSTRING(REPLACE(REPLACE("nhs_number", ' ', ''), '-', ''), 9, 1)) - 48) * 2) % 11)) % 11) = (ASCII(SUBSTRING(REPLACE(REPLACE("nhs_number", ' ', ''), '-', ''), 10, 1)) - 48)))) THEN 'invalid-nhs-number' END AS "_rule" FROM (SELECT "activity".*, CASE WHEN ((("pod" COLLATE "C") <> 'AE') AND "nhs_number" IS NOT NULL AND "pod" IS NOT NULL AND "start_date" IS NOT NULL) THEN 1 ELSE 0 END AS "_dp2", ROW_NUMBER() OVER (PARTITION BY CASE WHEN ((("pod" COLLATE "C") <> 'AE') AND "nhs_number" IS NOT NULL AND "pod" IS NOT NULL AND "start_date" IS NOT NULL) THEN 1 ELSE 0 END, ("nhs_number" COLLATE "C"), ("pod" COLLATE "C"), "start_date" ORDER BY "_row") AS "_dn2" FROM "activity") windowed),
"visits_challenged" AS (SELECT windowed.*, CASE WHEN ("_dp0" = 1 AND "_dn0" > 1) THEN 'duplicate-visit' END AS "_rule" FROM (SELECT "visits".*, CASE WHEN ("team" IS NOT NULL AND "visit_date" IS NOT NULL) THEN 1 ELSE 0 END AS "_dp0", ROW_NUMBER() OVER (PARTITION BY CASE WHEN ("team" IS NOT NULL AND "visit_date" IS NOT NULL) THEN 1 ELSE 0 END, ("team" COLLATE "C"), "visit_date" ORDER BY "_row") AS "_dn0" FROM "visits") windowed)
SELECT ("_month" || '/' || "_rule" || '/' || record) AS id, "_rule" AS rule, record, CAST(SUM(v) AS NUMERIC(18,2)) AS value
FROM (SELECT "_month", "_rule", COALESCE("record_id", ('line-' || CAST(("_row" + 1) AS TEXT))) AS record, COALESCE("price", 0) AS v FROM "activity_challenged" WHERE "_rule" IS NOT NULL) taken
GROUP BY "_month", "_rule", record
UNION ALL
SELECT ("_month" || '/' || 'fu-ratio' || '/' || g) AS id, 'fu-ratio' AS rule, g AS record, CAST(CAST(CASE WHEN CAST(nv * 100 AS BIGINT) * CAST(excess AS BIGINT) < 0 THEN -1 ELSE 1 END * ((2 * ABS(CAST(nv * 100 AS BIGINT) * CAST(excess AS BIGINT)) + n) / (2 * n)) AS BIGINT) * 0.01 AS NUMERIC(18,2)) AS value
FROM (SELECT "_month", g, n, nv, n - FLOOR(1.5 * d) AS excess
      FROM (SELECT "_month", "specialty" AS g, SUM(CASE WHEN (("pod" COLLATE "C") = 'OPFU') THEN 1 ELSE 0 END) AS n, SUM(CASE WHEN (("pod" COLLATE "C") = 'OPFA') THEN 1 ELSE 0 END) AS d, SUM(CASE WHEN (("pod" COLLATE "C") = 'OPFU') THEN COALESCE("price", 0) ELSE 0 END) AS nv
            FROM "activity_challenged"
            WHERE "_rule" IS NULL AND ((("pod" COLLATE "C") = 'OPFU') OR (("pod" COLLATE "C") = 'OPFA')) AND "specialty" IS NOT NULL
            GROUP BY "_month", "specialty") tallied) capped
WHERE excess > 0 AND n > 0
UNION ALL
SELECT ("_month" || '/' || "_rule" || '/' || record) AS id, "_rule" AS rule, record, CAST(SUM(v) AS NUMERIC(18,2)) AS value
FROM (SELECT "_month", "_rule", COALESCE(CAST("visit_id" AS TEXT), ('line-' || CAST(("_row" + 1) AS TEXT))) AS record, COALESCE("fee", 0) AS v FROM "visits_challenged" WHERE "_rule" IS NOT NULL) taken
GROUP BY "_month", "_rule", record;
