-- levers 0.1.0: contract edge (FX/SQL) as Spark SQL SQL.
-- The dataset views read the files of 2026-10 with levers' cell rules; then
-- levers_kpi(kpi, "group", numerator, denominator, value) holds every measured KPI's figures
-- and levers_challenges(id, rule, record, value) every challenge raised, as levers computes them.
SET spark.sql.ansi.enabled = true;
SET spark.sql.decimalOperations.allowPrecisionLoss = false;
CREATE OR REPLACE TEMPORARY VIEW `activity_file` (`c1` STRING, `c2` STRING, `c3` STRING, `c4` STRING, `c5` STRING, `c6` STRING, `c7` STRING, `c8` STRING, `c9` STRING, `c10` STRING, `c11` STRING, `c12` STRING, `c13` STRING)
USING csv OPTIONS (path '<workspace>/contracts/edge/data/activity/2026-10.csv', header 'true', multiLine 'true', escape '"', encoding 'UTF-8', mode 'PERMISSIVE');
CREATE OR REPLACE TEMPORARY VIEW `activity` AS
SELECT `_row`,
       '2026-10' AS `_month`,
       `commissioner_code`,
       `end_date`,
       `hrg`,
       CASE WHEN ABS(`minutes`) <= 1000000000000000 THEN `minutes` END AS `minutes`,
       `nhs_number`,
       `pod`,
       CASE WHEN ABS(`price`) <= 1000000000000000 THEN `price` END AS `price`,
       `record_id`,
       `specialty`,
       `start_date`,
       `urgent`,
       CASE WHEN ABS(`weight`) <= 1000000000000000 THEN `weight` END AS `weight`
FROM (SELECT `_row`,
             `commissioner_code` AS `commissioner_code`,
             CASE WHEN (`end_date` RLIKE '^([0-9]{4}-[0-9]{2}-[0-9]{2})$') THEN TRY_CAST(`end_date` AS DATE) END AS `end_date`,
             `hrg` AS `hrg`,
             CASE WHEN (`minutes` RLIKE '^([+-]?[0-9]{1,16})$') THEN TRY_CAST(`minutes` AS BIGINT) END AS `minutes`,
             `nhs_number` AS `nhs_number`,
             `pod` AS `pod`,
             CASE WHEN (`price` RLIKE '^(-?([0-9]+([.][0-9]{1,2})?|[.][0-9]{1,2}))$') THEN CAST(`price` AS DECIMAL(18,2)) ELSE (CASE WHEN ((`price` LIKE '(%)') OR (`price` LIKE '%-%')) THEN -1 ELSE 1 END * CASE WHEN (REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(`price`, '£', ''), ',', ''), '(', ''), ')', ''), '-', ''), ' ', '') RLIKE '^([0-9]+([.][0-9]{1,2})?)$') THEN TRY_CAST(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(`price`, '£', ''), ',', ''), '(', ''), ')', ''), '-', ''), ' ', '') AS DECIMAL(18,2)) END) END AS `price`,
             `record_id` AS `record_id`,
             `specialty` AS `specialty`,
             CASE WHEN (`start_date` RLIKE '^([0-9]{4}-[0-9]{2}-[0-9]{2})$') THEN TRY_CAST(`start_date` AS DATE) END AS `start_date`,
             CASE WHEN LOWER(`urgent`) IN ('true', 't', 'yes', 'y', '1') THEN TRUE WHEN LOWER(`urgent`) IN ('false', 'f', 'no', 'n', '0') THEN FALSE END AS `urgent`,
             CASE WHEN (`weight` RLIKE '^([+-]?([0-9]+[.]?[0-9]{0,12}|[.][0-9]{1,12}))$') THEN TRY_CAST(`weight` AS DECIMAL(38,12)) END AS `weight`
      FROM (SELECT `_row` AS `_row`,
                   NULLIF(CASE WHEN ascii(`c3`) BETWEEN 33 AND 126 AND ascii(substring(`c3`, -1, 1)) BETWEEN 33 AND 126 THEN `c3` ELSE trim(BOTH concat('\u0009', '\u000A', '\u000B', '\u000C', '\u000D', '\u0020', '\u0085', '\u00A0', '\u1680', '\u2000', '\u2001', '\u2002', '\u2003', '\u2004', '\u2005', '\u2006', '\u2007', '\u2008', '\u2009', '\u200A', '\u2028', '\u2029', '\u202F', '\u205F', '\u3000') FROM `c3`) END, '') AS `commissioner_code`,
                   NULLIF(CASE WHEN ascii(`c8`) BETWEEN 33 AND 126 AND ascii(substring(`c8`, -1, 1)) BETWEEN 33 AND 126 THEN `c8` ELSE trim(BOTH concat('\u0009', '\u000A', '\u000B', '\u000C', '\u000D', '\u0020', '\u0085', '\u00A0', '\u1680', '\u2000', '\u2001', '\u2002', '\u2003', '\u2004', '\u2005', '\u2006', '\u2007', '\u2008', '\u2009', '\u200A', '\u2028', '\u2029', '\u202F', '\u205F', '\u3000') FROM `c8`) END, '') AS `end_date`,
                   NULLIF(CASE WHEN ascii(`c6`) BETWEEN 33 AND 126 AND ascii(substring(`c6`, -1, 1)) BETWEEN 33 AND 126 THEN `c6` ELSE trim(BOTH concat('\u0009', '\u000A', '\u000B', '\u000C', '\u000D', '\u0020', '\u0085', '\u00A0', '\u1680', '\u2000', '\u2001', '\u2002', '\u2003', '\u2004', '\u2005', '\u2006', '\u2007', '\u2008', '\u2009', '\u200A', '\u2028', '\u2029', '\u202F', '\u205F', '\u3000') FROM `c6`) END, '') AS `hrg`,
                   NULLIF(CASE WHEN ascii(`c9`) BETWEEN 33 AND 126 AND ascii(substring(`c9`, -1, 1)) BETWEEN 33 AND 126 THEN `c9` ELSE trim(BOTH concat('\u0009', '\u000A', '\u000B', '\u000C', '\u000D', '\u0020', '\u0085', '\u00A0', '\u1680', '\u2000', '\u2001', '\u2002', '\u2003', '\u2004', '\u2005', '\u2006', '\u2007', '\u2008', '\u2009', '\u200A', '\u2028', '\u2029', '\u202F', '\u205F', '\u3000') FROM `c9`) END, '') AS `minutes`,
                   NULLIF(CASE WHEN ascii(`c2`) BETWEEN 33 AND 126 AND ascii(substring(`c2`, -1, 1)) BETWEEN 33 AND 126 THEN `c2` ELSE trim(BOTH concat('\u0009', '\u000A', '\u000B', '\u000C', '\u000D', '\u0020', '\u0085', '\u00A0', '\u1680', '\u2000', '\u2001', '\u2002', '\u2003', '\u2004', '\u2005', '\u2006', '\u2007', '\u2008', '\u2009', '\u200A', '\u2028', '\u2029', '\u202F', '\u205F', '\u3000') FROM `c2`) END, '') AS `nhs_number`,
                   NULLIF(CASE WHEN ascii(`c4`) BETWEEN 33 AND 126 AND ascii(substring(`c4`, -1, 1)) BETWEEN 33 AND 126 THEN `c4` ELSE trim(BOTH concat('\u0009', '\u000A', '\u000B', '\u000C', '\u000D', '\u0020', '\u0085', '\u00A0', '\u1680', '\u2000', '\u2001', '\u2002', '\u2003', '\u2004', '\u2005', '\u2006', '\u2007', '\u2008', '\u2009', '\u200A', '\u2028', '\u2029', '\u202F', '\u205F', '\u3000') FROM `c4`) END, '') AS `pod`,
                   NULLIF(CASE WHEN ascii(`c12`) BETWEEN 33 AND 126 AND ascii(substring(`c12`, -1, 1)) BETWEEN 33 AND 126 THEN `c12` ELSE trim(BOTH concat('\u0009', '\u000A', '\u000B', '\u000C', '\u000D', '\u0020', '\u0085', '\u00A0', '\u1680', '\u2000', '\u2001', '\u2002', '\u2003', '\u2004', '\u2005', '\u2006', '\u2007', '\u2008', '\u2009', '\u200A', '\u2028', '\u2029', '\u202F', '\u205F', '\u3000') FROM `c12`) END, '') AS `price`,
                   NULLIF(CASE WHEN ascii(`c1`) BETWEEN 33 AND 126 AND ascii(substring(`c1`, -1, 1)) BETWEEN 33 AND 126 THEN `c1` ELSE trim(BOTH concat('\u0009', '\u000A', '\u000B', '\u000C', '\u000D', '\u0020', '\u0085', '\u00A0', '\u1680', '\u2000', '\u2001', '\u2002', '\u2003', '\u2004', '\u2005', '\u2006', '\u2007', '\u2008', '\u2009', '\u200A', '\u2028', '\u2029', '\u202F', '\u205F', '\u3000') FROM `c1`) END, '') AS `record_id`,
                   NULLIF(CASE WHEN ascii(`c5`) BETWEEN 33 AND 126 AND ascii(substring(`c5`, -1, 1)) BETWEEN 33 AND 126 THEN `c5` ELSE trim(BOTH concat('\u0009', '\u000A', '\u000B', '\u000C', '\u000D', '\u0020', '\u0085', '\u00A0', '\u1680', '\u2000', '\u2001', '\u2002', '\u2003', '\u2004', '\u2005', '\u2006', '\u2007', '\u2008', '\u2009', '\u200A', '\u2028', '\u2029', '\u202F', '\u205F', '\u3000') FROM `c5`) END, '') AS `specialty`,
                   NULLIF(CASE WHEN ascii(`c7`) BETWEEN 33 AND 126 AND ascii(substring(`c7`, -1, 1)) BETWEEN 33 AND 126 THEN `c7` ELSE trim(BOTH concat('\u0009', '\u000A', '\u000B', '\u000C', '\u000D', '\u0020', '\u0085', '\u00A0', '\u1680', '\u2000', '\u2001', '\u2002', '\u2003', '\u2004', '\u2005', '\u2006', '\u2007', '\u2008', '\u2009', '\u200A', '\u2028', '\u2029', '\u202F', '\u205F', '\u3000') FROM `c7`) END, '') AS `start_date`,
                   NULLIF(CASE WHEN ascii(`c10`) BETWEEN 33 AND 126 AND ascii(substring(`c10`, -1, 1)) BETWEEN 33 AND 126 THEN `c10` ELSE trim(BOTH concat('\u0009', '\u000A', '\u000B', '\u000C', '\u000D', '\u0020', '\u0085', '\u00A0', '\u1680', '\u2000', '\u2001', '\u2002', '\u2003', '\u2004', '\u2005', '\u2006', '\u2007', '\u2008', '\u2009', '\u200A', '\u2028', '\u2029', '\u202F', '\u205F', '\u3000') FROM `c10`) END, '') AS `urgent`,
                   NULLIF(CASE WHEN ascii(`c11`) BETWEEN 33 AND 126 AND ascii(substring(`c11`, -1, 1)) BETWEEN 33 AND 126 THEN `c11` ELSE trim(BOTH concat('\u0009', '\u000A', '\u000B', '\u000C', '\u000D', '\u0020', '\u0085', '\u00A0', '\u1680', '\u2000', '\u2001', '\u2002', '\u2003', '\u2004', '\u2005', '\u2006', '\u2007', '\u2008', '\u2009', '\u200A', '\u2028', '\u2029', '\u202F', '\u205F', '\u3000') FROM `c11`) END, '') AS `weight`
            FROM (SELECT monotonically_increasing_id() + 1 AS `_row`, * FROM `activity_file`) numbered) cells) parsed;
CREATE OR REPLACE TEMPORARY VIEW `visits_file` (`c1` STRING, `c2` STRING, `c3` STRING, `c4` STRING, `c5` STRING)
USING csv OPTIONS (path '<workspace>/contracts/edge/data/visits/2026-10.csv', header 'true', multiLine 'true', escape '"', encoding 'UTF-8', mode 'PERMISSIVE');
CREATE OR REPLACE TEMPORARY VIEW `visits` AS
SELECT `_row`,
       '2026-10' AS `_month`,
       CASE WHEN ABS(`fee`) <= 1000000000000000 THEN `fee` END AS `fee`,
       `on_time`,
       `team`,
       `visit_date`,
       CASE WHEN ABS(`visit_id`) <= 1000000000000000 THEN `visit_id` END AS `visit_id`
FROM (SELECT `_row`,
             CASE WHEN (`fee` RLIKE '^(-?([0-9]+([.][0-9]{1,2})?|[.][0-9]{1,2}))$') THEN CAST(`fee` AS DECIMAL(18,2)) ELSE (CASE WHEN ((`fee` LIKE '(%)') OR (`fee` LIKE '%-%')) THEN -1 ELSE 1 END * CASE WHEN (REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(`fee`, '£', ''), ',', ''), '(', ''), ')', ''), '-', ''), ' ', '') RLIKE '^([0-9]+([.][0-9]{1,2})?)$') THEN TRY_CAST(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(`fee`, '£', ''), ',', ''), '(', ''), ')', ''), '-', ''), ' ', '') AS DECIMAL(18,2)) END) END AS `fee`,
             CASE WHEN LOWER(`on_time`) IN ('true', 't', 'yes', 'y', '1') THEN TRUE WHEN LOWER(`on_time`) IN ('false', 'f', 'no', 'n', '0') THEN FALSE END AS `on_time`,
             `team` AS `team`,
             CASE WHEN (`visit_date` RLIKE '^([0-9]{1,2}[/][0-9]{1,2}[/][0-9]{4})$') THEN CAST(try_to_timestamp(`visit_date`, 'd/M/yyyy') AS DATE) END AS `visit_date`,
             CASE WHEN (`visit_id` RLIKE '^([+-]?[0-9]{1,16})$') THEN TRY_CAST(`visit_id` AS BIGINT) END AS `visit_id`
      FROM (SELECT `_row` AS `_row`,
                   NULLIF(CASE WHEN ascii(`c5`) BETWEEN 33 AND 126 AND ascii(substring(`c5`, -1, 1)) BETWEEN 33 AND 126 THEN `c5` ELSE trim(BOTH concat('\u0009', '\u000A', '\u000B', '\u000C', '\u000D', '\u0020', '\u0085', '\u00A0', '\u1680', '\u2000', '\u2001', '\u2002', '\u2003', '\u2004', '\u2005', '\u2006', '\u2007', '\u2008', '\u2009', '\u200A', '\u2028', '\u2029', '\u202F', '\u205F', '\u3000') FROM `c5`) END, '') AS `fee`,
                   NULLIF(CASE WHEN ascii(`c4`) BETWEEN 33 AND 126 AND ascii(substring(`c4`, -1, 1)) BETWEEN 33 AND 126 THEN `c4` ELSE trim(BOTH concat('\u0009', '\u000A', '\u000B', '\u000C', '\u000D', '\u0020', '\u0085', '\u00A0', '\u1680', '\u2000', '\u2001', '\u2002', '\u2003', '\u2004', '\u2005', '\u2006', '\u2007', '\u2008', '\u2009', '\u200A', '\u2028', '\u2029', '\u202F', '\u205F', '\u3000') FROM `c4`) END, '') AS `on_time`,
                   NULLIF(CASE WHEN ascii(`c2`) BETWEEN 33 AND 126 AND ascii(substring(`c2`, -1, 1)) BETWEEN 33 AND 126 THEN `c2` ELSE trim(BOTH concat('\u0009', '\u000A', '\u000B', '\u000C', '\u000D', '\u0020', '\u0085', '\u00A0', '\u1680', '\u2000', '\u2001', '\u2002', '\u2003', '\u2004', '\u2005', '\u2006', '\u2007', '\u2008', '\u2009', '\u200A', '\u2028', '\u2029', '\u202F', '\u205F', '\u3000') FROM `c2`) END, '') AS `team`,
                   NULLIF(CASE WHEN ascii(`c3`) BETWEEN 33 AND 126 AND ascii(substring(`c3`, -1, 1)) BETWEEN 33 AND 126 THEN `c3` ELSE trim(BOTH concat('\u0009', '\u000A', '\u000B', '\u000C', '\u000D', '\u0020', '\u0085', '\u00A0', '\u1680', '\u2000', '\u2001', '\u2002', '\u2003', '\u2004', '\u2005', '\u2006', '\u2007', '\u2008', '\u2009', '\u200A', '\u2028', '\u2029', '\u202F', '\u205F', '\u3000') FROM `c3`) END, '') AS `visit_date`,
                   NULLIF(CASE WHEN ascii(`c1`) BETWEEN 33 AND 126 AND ascii(substring(`c1`, -1, 1)) BETWEEN 33 AND 126 THEN `c1` ELSE trim(BOTH concat('\u0009', '\u000A', '\u000B', '\u000C', '\u000D', '\u0020', '\u0085', '\u00A0', '\u1680', '\u2000', '\u2001', '\u2002', '\u2003', '\u2004', '\u2005', '\u2006', '\u2007', '\u2008', '\u2009', '\u200A', '\u2028', '\u2029', '\u202F', '\u205F', '\u3000') FROM `c1`) END, '') AS `visit_id`
            FROM (SELECT monotonically_increasing_id() + 1 AS `_row`, * FROM `visits_file`) numbered) cells) parsed;
CREATE OR REPLACE TEMPORARY VIEW `levers_kpi` AS
WITH `activity_sums` AS (SELECT SUM(CASE WHEN ((`pod` = 'AE') AND (`minutes` <= 240)) THEN 1 ELSE 0 END) AS k0_n,
         SUM(CASE WHEN (`pod` = 'AE') THEN 1 ELSE 0 END) AS k0_d,
         SUM(CASE WHEN (`urgent` AND (`minutes` > 600)) THEN 1 ELSE 0 END) AS k2_n,
         SUM(CASE WHEN (`pod` LIKE 'OP%') THEN `price` END) AS k3_s,
         SUM(CASE WHEN (`pod` <> 'BIG') THEN (COALESCE(`weight`, 1) * `minutes`) END) AS k4_s,
         SUM(CAST(CASE WHEN (`pod` IN ('EL', 'NEL')) THEN CAST(datediff(`end_date`, `start_date`) AS BIGINT) END AS DECIMAL(38,0))) AS k5_s,
         COUNT(CASE WHEN (`pod` IN ('EL', 'NEL')) THEN CAST(datediff(`end_date`, `start_date`) AS BIGINT) END) AS k5_c,
         SUM(CAST(CASE WHEN (`pod` = 'BIG') THEN `minutes` END AS DECIMAL(38,0))) AS k7_s,
         COUNT(CASE WHEN (`pod` = 'BIG') THEN `minutes` END) AS k7_c,
         SUM(CASE WHEN ((((UPPER(COALESCE(`pod`, 'x')) IN ('AE', 'NEL')) AND (CAST(MONTH(`start_date`) AS BIGINT) BETWEEN 1 AND 12)) AND (CAST(char_length(TRIM(`record_id`)) AS BIGINT) > 3)) AND ((NOT (`hrg` LIKE 'A_0%')) OR (`hrg` IS NULL))) THEN 1 ELSE 0 END) AS k9_n,
         SUM(CASE WHEN (((UPPER(COALESCE(`pod`, 'x')) IN ('AE', 'NEL')) AND (CAST(MONTH(`start_date`) AS BIGINT) BETWEEN 1 AND 12)) AND (CAST(char_length(TRIM(`record_id`)) AS BIGINT) > 3)) THEN 1 ELSE 0 END) AS k9_d,
         SUM(CASE WHEN (((`pod` = 'NONE') OR (`pod` <> `pod`)) AND (`minutes` < 10)) THEN 1 ELSE 0 END) AS k11_n,
         SUM(CASE WHEN ((`pod` = 'NONE') OR (`pod` <> `pod`)) THEN 1 ELSE 0 END) AS k11_d,
         SUM(CASE WHEN (((`start_date` >= DATE '2026-10-15') AND (NOT ((`pod` = `pod`) IS NULL))) AND (`start_date` NOT BETWEEN DATE '2026-10-20' AND DATE '2026-10-25')) THEN 1 ELSE 0 END) AS k13_n,
         SUM(CASE WHEN ((`start_date` >= DATE '2026-10-15') AND (NOT ((`pod` = `pod`) IS NULL))) THEN 1 ELSE 0 END) AS k13_d
  FROM `activity`),
`visits_sums` AS (SELECT SUM(CASE WHEN ((`visit_date` >= DATE '2026-10-15') AND (COALESCE(`on_time`, FALSE) = FALSE)) THEN 1 ELSE 0 END) AS k0_n
  FROM `visits`)
SELECT CAST('ae-4hr' AS STRING) AS kpi, CAST(NULL AS STRING) AS `group`, CAST(COALESCE(k0_n, 0) AS BIGINT) AS numerator, CAST(COALESCE(k0_d, 0) AS BIGINT) AS denominator, CAST(CASE WHEN COALESCE(k0_d, 0) = 0 THEN NULL ELSE CAST(CAST(COALESCE(k0_n, 0) AS DECIMAL(38,12)) / COALESCE(k0_d, 0) AS DECIMAL(38,12)) END AS DECIMAL(38,12)) AS value FROM `activity_sums`
UNION ALL
SELECT CAST('fu-ratio' AS STRING) AS kpi, CAST(g AS STRING) AS `group`, CAST(n AS BIGINT) AS numerator, CAST(d AS BIGINT) AS denominator, CAST(CASE WHEN d = 0 THEN NULL ELSE CAST(CAST(n AS DECIMAL(38,12)) / d AS DECIMAL(38,12)) END AS DECIMAL(38,12)) AS value FROM (SELECT COALESCE(`specialty`, '') AS g, SUM(CASE WHEN (`pod` = 'OPFU') THEN 1 ELSE 0 END) AS n, SUM(CASE WHEN (`pod` = 'OPFA') THEN 1 ELSE 0 END) AS d FROM `activity` WHERE ((`pod` = 'OPFU') OR (`pod` = 'OPFA')) GROUP BY `specialty`) grouped
UNION ALL
SELECT CAST('fu-ratio-gated' AS STRING) AS kpi, CAST(g AS STRING) AS `group`, CAST(n AS BIGINT) AS numerator, CAST(d AS BIGINT) AS denominator, CAST(CASE WHEN d = 0 THEN NULL ELSE CAST(CAST(n AS DECIMAL(38,12)) / d AS DECIMAL(38,12)) END AS DECIMAL(38,12)) AS value FROM (SELECT COALESCE(CAST(CAST(YEAR(`start_date`) AS BIGINT) AS STRING), '') AS g, SUM(CASE WHEN ((`commissioner_code` = '15N') AND (`pod` = 'OPFU')) THEN 1 ELSE 0 END) AS n, SUM(CASE WHEN ((`commissioner_code` = '15N') AND (`pod` = 'OPFA')) THEN 1 ELSE 0 END) AS d FROM `activity` WHERE (`commissioner_code` = '15N') AND ((`pod` = 'OPFU') OR (`pod` = 'OPFA')) GROUP BY CAST(CAST(YEAR(`start_date`) AS BIGINT) AS STRING)) grouped
UNION ALL
SELECT CAST('urgent-long' AS STRING) AS kpi, CAST(NULL AS STRING) AS `group`, CAST(NULL AS BIGINT) AS numerator, CAST(NULL AS BIGINT) AS denominator, CAST(COALESCE(k2_n, 0) AS DECIMAL(38,12)) AS value FROM `activity_sums`
UNION ALL
SELECT CAST('outpatient-spend' AS STRING) AS kpi, CAST(NULL AS STRING) AS `group`, CAST(NULL AS BIGINT) AS numerator, CAST(NULL AS BIGINT) AS denominator, CAST(COALESCE(k3_s, 0) AS DECIMAL(38,12)) AS value FROM `activity_sums`
UNION ALL
SELECT CAST('weighted' AS STRING) AS kpi, CAST(NULL AS STRING) AS `group`, CAST(NULL AS BIGINT) AS numerator, CAST(NULL AS BIGINT) AS denominator, CAST(COALESCE(k4_s, 0) AS DECIMAL(38,12)) AS value FROM `activity_sums`
UNION ALL
SELECT CAST('los-mean' AS STRING) AS kpi, CAST(NULL AS STRING) AS `group`, CAST(NULL AS BIGINT) AS numerator, CAST(NULL AS BIGINT) AS denominator, CAST(CASE WHEN k5_c = 0 THEN NULL ELSE CAST(CAST(k5_s AS DECIMAL(38,12)) / k5_c AS DECIMAL(38,12)) END AS DECIMAL(38,12)) AS value FROM `activity_sums`
UNION ALL
SELECT CAST('big-mean' AS STRING) AS kpi, CAST(NULL AS STRING) AS `group`, CAST(NULL AS BIGINT) AS numerator, CAST(NULL AS BIGINT) AS denominator, CAST(CASE WHEN k7_c = 0 THEN NULL ELSE CAST(CAST(k7_s AS DECIMAL(38,12)) / k7_c AS DECIMAL(38,12)) END AS DECIMAL(38,12)) AS value FROM `activity_sums`
UNION ALL
SELECT CAST('minutes-median' AS STRING) AS kpi, CAST(NULL AS STRING) AS `group`, CAST(NULL AS BIGINT) AS numerator, CAST(NULL AS BIGINT) AS denominator, CAST(x AS DECIMAL(38,12)) AS value FROM (SELECT (MIN(v) + MAX(v)) * 0.5 AS x FROM (SELECT v, ROW_NUMBER() OVER (ORDER BY v) AS r, COUNT(*) OVER () AS n FROM (SELECT `minutes` AS v FROM `activity`) gated WHERE v IS NOT NULL) ranked WHERE r IN (((n + 1) div (2)), ((n + 2) div (2)))) picked
UNION ALL
SELECT CAST('price-p95' AS STRING) AS kpi, CAST(NULL AS STRING) AS `group`, CAST(NULL AS BIGINT) AS numerator, CAST(NULL AS BIGINT) AS denominator, CAST(x AS DECIMAL(38,12)) AS value FROM (SELECT MIN(v) AS x FROM (SELECT v, ROW_NUMBER() OVER (ORDER BY v) AS r, COUNT(*) OVER () AS n FROM (SELECT `price` AS v FROM `activity`) gated WHERE v IS NOT NULL) ranked WHERE r = CASE WHEN ((95 * n + 99) div (100)) < 1 THEN 1 ELSE ((95 * n + 99) div (100)) END) picked
UNION ALL
SELECT CAST('price-p1' AS STRING) AS kpi, CAST(NULL AS STRING) AS `group`, CAST(NULL AS BIGINT) AS numerator, CAST(NULL AS BIGINT) AS denominator, CAST(x AS DECIMAL(38,12)) AS value FROM (SELECT MIN(v) AS x FROM (SELECT v, ROW_NUMBER() OVER (ORDER BY v) AS r, COUNT(*) OVER () AS n FROM (SELECT `price` AS v FROM `activity`) gated WHERE v IS NOT NULL) ranked WHERE r = CASE WHEN ((1 * n + 99) div (100)) < 1 THEN 1 ELSE ((1 * n + 99) div (100)) END) picked
UNION ALL
SELECT CAST('coded' AS STRING) AS kpi, CAST(NULL AS STRING) AS `group`, CAST(COALESCE(k9_n, 0) AS BIGINT) AS numerator, CAST(COALESCE(k9_d, 0) AS BIGINT) AS denominator, CAST(CASE WHEN COALESCE(k9_d, 0) = 0 THEN NULL ELSE CAST(CAST(COALESCE(k9_n, 0) AS DECIMAL(38,12)) / COALESCE(k9_d, 0) AS DECIMAL(38,12)) END AS DECIMAL(38,12)) AS value FROM `activity_sums`
UNION ALL
SELECT CAST('nothing' AS STRING) AS kpi, CAST(NULL AS STRING) AS `group`, CAST(COALESCE(k11_n, 0) AS BIGINT) AS numerator, CAST(COALESCE(k11_d, 0) AS BIGINT) AS denominator, CAST(CASE WHEN COALESCE(k11_d, 0) = 0 THEN NULL ELSE CAST(CAST(COALESCE(k11_n, 0) AS DECIMAL(38,12)) / COALESCE(k11_d, 0) AS DECIMAL(38,12)) END AS DECIMAL(38,12)) AS value FROM `activity_sums`
UNION ALL
SELECT CAST('dates' AS STRING) AS kpi, CAST(NULL AS STRING) AS `group`, CAST(COALESCE(k13_n, 0) AS BIGINT) AS numerator, CAST(COALESCE(k13_d, 0) AS BIGINT) AS denominator, CAST(CASE WHEN COALESCE(k13_d, 0) = 0 THEN NULL ELSE CAST(CAST(COALESCE(k13_n, 0) AS DECIMAL(38,12)) / COALESCE(k13_d, 0) AS DECIMAL(38,12)) END AS DECIMAL(38,12)) AS value FROM `activity_sums`
UNION ALL
SELECT CAST('visits-on-time' AS STRING) AS kpi, CAST(g AS STRING) AS `group`, CAST(n AS BIGINT) AS numerator, CAST(d AS BIGINT) AS denominator, CAST(CASE WHEN d = 0 THEN NULL ELSE CAST(CAST(n AS DECIMAL(38,12)) / d AS DECIMAL(38,12)) END AS DECIMAL(38,12)) AS value FROM (SELECT COALESCE(CAST(`visit_date` AS STRING), '') AS g, SUM(CASE WHEN ((`team` IS NOT NULL) AND (`on_time` = TRUE)) THEN 1 ELSE 0 END) AS n, SUM(CASE WHEN (`team` IS NOT NULL) THEN 1 ELSE 0 END) AS d FROM `visits` WHERE (`team` IS NOT NULL) GROUP BY CAST(`visit_date` AS STRING)) grouped
UNION ALL
SELECT CAST('visits-late-month' AS STRING) AS kpi, CAST(NULL AS STRING) AS `group`, CAST(NULL AS BIGINT) AS numerator, CAST(NULL AS BIGINT) AS denominator, CAST(COALESCE(k0_n, 0) AS DECIMAL(38,12)) AS value FROM `visits_sums`;
CREATE OR REPLACE TEMPORARY VIEW `levers_challenges` AS
WITH `activity_challenged` AS (SELECT windowed.*, CASE WHEN ((`price` > 1000) AND (`pod` <> 'NEL')) THEN 'expensive' WHEN (`commissioner_code` NOT IN ('15N')) THEN 'responsible-commissioner' WHEN (`_dp2` = 1 AND `_dn2` > 1) THEN 'duplicate' WHEN ((`nhs_number` IS NULL) OR (NOT ((REPLACE(REPLACE(`nhs_number`, ' ', ''), '-', '') RLIKE '^([0-9]{10})$') AND ((11 - (((ASCII(SUBSTRING(REPLACE(REPLACE(`nhs_number`, ' ', ''), '-', ''), 1, 1)) - 48) * 10 + (ASCII(SUBSTRING(REPLACE(REPLACE(`nhs_number`, ' ', ''), '-', ''), 2, 1)) - 48) * 9 + (ASCII(SUBSTRING(REPLACE(REPLACE(`nhs_number`, ' ', ''), '-', ''), 3, 1)) - 48) * 8 + (ASCII(SUBSTRING(REPLACE(REPLACE(`nhs_number`, ' ', ''), '-', ''), 4, 1)) - 48) * 7 + (ASCII(SUBSTRING(REPLACE(REPLACE(`nhs_number`, ' ', ''), '-', ''), 5, 1)) - 48) * 6 + (ASCII(SUBSTRING(REPLACE(REPLACE(`nhs_number`, ' ', ''), '-', ''), 6, 1)) - 48) * 5 + (ASCII(SUBSTRING(REPLACE(REPLACE(`nhs_number`, ' ', ''), '-', ''), 7, 1)) - 48) * 4 + (ASCII(SUBSTRING(REPLACE(REPLACE(`nhs_number`, ' ', ''), '-', ''), 8, 1)) - 48) * 3 + (ASCII(SUBSTRING(REPLACE(REPLACE(`nhs_number`, ' ', ''), '-', ''), 9, 1)) - 48) * 2) % 11)) % 11) = (ASCII(SUBSTRING(REPLACE(REPLACE(`nhs_number`, ' ', ''), '-', ''), 10, 1)) - 48)))) THEN 'invalid-nhs-number' END AS `_rule` FROM (SELECT `activity`.*, CASE WHEN ((`pod` <> 'AE') AND `nhs_number` IS NOT NULL AND `pod` IS NOT NULL AND `start_date` IS NOT NULL) THEN 1 ELSE 0 END AS `_dp2`, ROW_NUMBER() OVER (PARTITION BY CASE WHEN ((`pod` <> 'AE') AND `nhs_number` IS NOT NULL AND `pod` IS NOT NULL AND `start_date` IS NOT NULL) THEN 1 ELSE 0 END, `nhs_number`, `pod`, `start_date` ORDER BY `_row`) AS `_dn2` FROM `activity`) windowed),
`visits_challenged` AS (SELECT windowed.*, CASE WHEN (`_dp0` = 1 AND `_dn0` > 1) THEN 'duplicate-visit' END AS `_rule` FROM (SELECT `visits`.*, CASE WHEN (`team` IS NOT NULL AND `visit_date` IS NOT NULL) THEN 1 ELSE 0 END AS `_dp0`, ROW_NUMBER() OVER (PARTITION BY CASE WHEN (`team` IS NOT NULL AND `visit_date` IS NOT NULL) THEN 1 ELSE 0 END, `team`, `visit_date` ORDER BY `_row`) AS `_dn0` FROM `visits`) windowed)
SELECT (`_month` || '/' || `_rule` || '/' || record) AS id, `_rule` AS rule, record, CAST(SUM(v) AS DECIMAL(18,2)) AS value
FROM (SELECT `_month`, `_rule`, COALESCE(`record_id`, ('line-' || CAST((`_row` + 1) AS STRING))) AS record, COALESCE(`price`, 0) AS v FROM `activity_challenged` WHERE `_rule` IS NOT NULL) taken
GROUP BY `_month`, `_rule`, record
UNION ALL
SELECT (`_month` || '/' || 'fu-ratio' || '/' || g) AS id, 'fu-ratio' AS rule, g AS record, CAST(CAST(CASE WHEN CAST(nv * 100 AS BIGINT) * CAST(excess AS BIGINT) < 0 THEN -1 ELSE 1 END * ((2 * ABS(CAST(nv * 100 AS BIGINT) * CAST(excess AS BIGINT)) + n) div (2 * n)) AS BIGINT) * 0.01 AS DECIMAL(18,2)) AS value
FROM (SELECT `_month`, g, n, nv, n - FLOOR(1.5 * d) AS excess
      FROM (SELECT `_month`, `specialty` AS g, SUM(CASE WHEN (`pod` = 'OPFU') THEN 1 ELSE 0 END) AS n, SUM(CASE WHEN (`pod` = 'OPFA') THEN 1 ELSE 0 END) AS d, SUM(CASE WHEN (`pod` = 'OPFU') THEN COALESCE(`price`, 0) ELSE 0 END) AS nv
            FROM `activity_challenged`
            WHERE `_rule` IS NULL AND ((`pod` = 'OPFU') OR (`pod` = 'OPFA')) AND `specialty` IS NOT NULL
            GROUP BY `_month`, `specialty`) tallied) capped
WHERE excess > 0 AND n > 0
UNION ALL
SELECT (`_month` || '/' || `_rule` || '/' || record) AS id, `_rule` AS rule, record, CAST(SUM(v) AS DECIMAL(18,2)) AS value
FROM (SELECT `_month`, `_rule`, COALESCE(CAST(`visit_id` AS STRING), ('line-' || CAST((`_row` + 1) AS STRING))) AS record, COALESCE(`fee`, 0) AS v FROM `visits_challenged` WHERE `_rule` IS NOT NULL) taken
GROUP BY `_month`, `_rule`, record;
